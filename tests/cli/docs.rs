//! The docs and `--help` agree with the commands, and every markdown file's examples run as
//! written.

use std::path::Path;
use std::process::{Command, Stdio};

use authctl::cli::Cli;

use super::TestEnv;
use clap::CommandFactory;

/// The command reference: a `### ` section and a `$ authctl NAME` example for each subcommand.
const COMMANDS: &str = "docs/commands.md";

/// How many examples the README held before they moved into docs/; the files hold them now.
const MIN_EXAMPLES: usize = 65;

/// A file of the crate, by its path from the crate root.
fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The markdown files whose examples run, by their path from the crate root: the top-level ones
/// (README.md, SECURITY.md, CONTRIBUTING.md), then every one under docs/. Panics when docs/ is
/// missing or holds none, so moving the docs cannot skip their examples.
fn markdown_files() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut top = markdown_under(root, "", false);
    let docs = markdown_under(root, "docs", true);
    assert!(!docs.is_empty(), "docs/ holds no markdown files");
    top.extend(docs);
    top
}

/// The `.md` files in `root/dir` (and below it when `deep`), sorted, as paths from `root`.
fn markdown_under(root: &Path, dir: &str, deep: bool) -> Vec<String> {
    let entries = std::fs::read_dir(root.join(dir))
        .unwrap_or_else(|e| panic!("cannot list {}/{dir}: {e}", root.display()));
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        let relative = if dir.is_empty() {
            name
        } else {
            format!("{dir}/{name}")
        };
        let kind = entry.file_type().unwrap();
        if kind.is_dir() && deep {
            files.extend(markdown_under(root, &relative, deep));
        } else if kind.is_file() && entry.path().extension().is_some_and(|ext| ext == "md") {
            files.push(relative);
        }
    }
    files.sort();
    files
}

#[test]
fn every_subcommand_has_help_examples_and_a_reference_section() {
    let reference = read(COMMANDS);
    let cli = Cli::command();
    let names: Vec<&str> = cli.get_subcommands().map(clap::Command::get_name).collect();
    assert!(names.len() >= 7, "{names:?}");
    for sub in cli.get_subcommands() {
        let name = sub.get_name();
        assert!(sub.get_about().is_some(), "{name} has no about");
        let after = sub
            .get_after_help()
            .map(ToString::to_string)
            .unwrap_or_default();
        let invocation = format!("authctl {name}");
        assert!(
            after.contains("Examples:\n") && after.contains(&invocation),
            "{name} --help has no examples"
        );
        assert!(
            reference
                .lines()
                .any(|l| l.starts_with("$ ") && l.contains(&invocation)),
            "{COMMANDS} has no example of {name}"
        );
        assert!(
            reference
                .lines()
                .any(|l| l.starts_with("### ") && l.contains(name)),
            "{COMMANDS} has no section for {name}"
        );
    }
}

#[test]
fn readme_exit_table_is_the_code_table() {
    use authctl::exit;
    let readme = read("README.md");
    let documented: Vec<u8> = readme
        .lines()
        .filter_map(|line| line.strip_prefix("| "))
        .filter_map(|rest| rest.split(" |").next()?.parse().ok())
        .collect();
    assert_eq!(
        documented,
        [
            exit::SUCCESS,
            exit::REJECTED,
            exit::USAGE,
            exit::NOT_FOUND,
            exit::CONFLICT,
            exit::INVALID_INPUT,
            exit::BUSY,
            exit::DATABASE_UNUSABLE,
            exit::ENVIRONMENT,
            exit::UNVERIFIABLE,
            exit::INTERNAL
        ]
    );
}

/// One `$ command` of a ```console block, with its expected status and output.
#[derive(Debug)]
struct Example {
    command: String,
    status: i32,
    output: Vec<String>,
}

/// Reads the ```console blocks: `$ ` starts a command, a `? N` line right after it gives a
/// non-zero exit status, the lines up to the next command are its stdout and stderr as a
/// terminal shows them. `[..]` in an expected line matches any text.
fn examples(markdown: &str) -> Vec<Example> {
    let mut examples: Vec<Example> = Vec::new();
    let mut in_console = false;
    for line in markdown.lines() {
        if line == "```console" {
            in_console = true;
        } else if line.starts_with("```") {
            in_console = false;
        } else if !in_console {
        } else if let Some(command) = line.strip_prefix("$ ") {
            examples.push(Example {
                command: command.to_owned(),
                status: 0,
                output: Vec::new(),
            });
        } else if let Some(example) = examples.last_mut() {
            match line.strip_prefix("? ") {
                Some(status) if example.output.is_empty() => {
                    example.status = status.parse().unwrap();
                }
                _ => example.output.push(line.to_owned()),
            }
        }
    }
    examples
}

fn line_matches(expected: &str, actual: &str) -> bool {
    let mut pieces = expected.split("[..]");
    let first = pieces.next().unwrap_or_default();
    let Some(mut rest) = actual.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = pieces.collect();
    for (i, piece) in pieces.iter().enumerate() {
        if i + 1 == pieces.len() {
            return rest.ends_with(piece);
        }
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

/// Every markdown file's examples, each file's in order in an empty directory of its own.
#[test]
fn markdown_examples_run_as_written() {
    let files: Vec<(String, Vec<Example>)> = markdown_files()
        .into_iter()
        .map(|file| {
            let text = read(&file);
            let examples = examples(&text);
            assert!(
                !examples.is_empty() || !text.lines().any(|l| l == "```console"),
                "{file} has console blocks but no `$ ` example in them"
            );
            (file, examples)
        })
        .collect();
    let total: usize = files.iter().map(|(_, examples)| examples.len()).sum();
    assert!(
        total >= MIN_EXAMPLES,
        "found only {total} examples in {:?}",
        files.iter().map(|(file, _)| file).collect::<Vec<_>>()
    );
    let bin_dir = Path::new(crate::support::bin()).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for (file, examples) in files {
        let dir = tempfile::tempdir().unwrap();
        for example in examples {
            let output = Command::new("sh")
                .arg("-c")
                .arg(format!("exec 2>&1; {}", example.command))
                .current_dir(dir.path())
                .env("PATH", &path)
                .env_remove("DATABASE_URL")
                .env_remove("SECRET_KEY")
                .env_remove("AUTHCTL_HASH_SCHEME")
                .stdin(Stdio::null())
                .output()
                .unwrap();
            let actual = String::from_utf8_lossy(&output.stdout);
            let actual: Vec<&str> = actual.lines().collect();
            let same = actual.len() == example.output.len()
                && example
                    .output
                    .iter()
                    .zip(&actual)
                    .all(|(e, a)| line_matches(e, a));
            assert!(
                same && output.status.code() == Some(example.status),
                "{file} example `{}`\nexpected (status {}):\n{}\ngot (status {:?}):\n{}",
                example.command,
                example.status,
                example.output.join("\n"),
                output.status.code(),
                actual.join("\n")
            );
        }
    }
}

#[test]
fn wildcards_match_as_documented() {
    assert!(line_matches("eyJ[..]", "eyJabc"));
    assert!(line_matches(
        "{\"a\":\"[..]\",\"b\":[..]}",
        "{\"a\":\"x\",\"b\":12}"
    ));
    assert!(!line_matches("abc", "abcd"));
    assert!(!line_matches("a[..]c", "abd"));
}

#[test]
fn completions_and_man_page_come_from_the_same_definitions() {
    let env = TestEnv::empty();
    for shell in ["bash", "zsh", "fish"] {
        let assert = env.bare().args(["completions", shell]).assert().code(0);
        let script = crate::support::stdout(&assert);
        for name in Cli::command()
            .get_subcommands()
            .map(clap::Command::get_name)
        {
            assert!(script.contains(name), "{shell} completions lack {name}");
        }
    }
    let assert = env.bare().arg("man").assert().code(0);
    let page = crate::support::stdout(&assert);
    assert!(page.contains(".TH authctl 1"), "{page}");
    assert!(page.contains("import"), "{page}");
    env.bare().args(["completions", "tcsh"]).assert().code(2);
}
