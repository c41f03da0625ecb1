//! `authctl completions`: shell completions, generated from the same definitions as `--help`.

use clap::CommandFactory;

use crate::exit;

use super::{Cli, Context};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  authctl completions bash > /etc/bash_completion.d/authctl
  authctl completions zsh > \"${fpath[1]}/_authctl\"
  authctl completions fish > ~/.config/fish/completions/authctl.fish")]
pub struct Args {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<u8> {
    let mut out = ctx.out.stdout();
    clap_complete::generate(args.shell, &mut Cli::command(), "authctl", &mut out);
    std::io::Write::flush(&mut out)?;
    Ok(exit::SUCCESS)
}
