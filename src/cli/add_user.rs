//! `authctl add-user`: one user, with a password from a prompt, stdin, a file, or generated.

use crate::db::Access;
use crate::exit;
use crate::password;
use crate::users::{self, AddOutcome, UserFields};

use super::Context;
use super::output;
use super::password_source::{PasswordArgs, Prompt};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
There is no option that takes the password itself: it would show in `ps` and shell history.
The hash is Argon2id with the service's own parameters (m=65536, t=3, p=4).

Examples:
  authctl add-user alice --email alice@example.com --full-name 'Alice Liddell'
  printf '%s\\n' \"$PASSWORD\" | authctl add-user alice --password-stdin
  authctl add-user ci-bot --random-password --if-not-exists > ci-bot.password")]
pub struct Args {
    /// The login name, stored exactly as given (the service matches it case-sensitively)
    pub username: String,

    /// Email address (unique among users)
    #[arg(long = "email", value_name = "EMAIL")]
    pub email: Option<String>,

    /// Full name
    #[arg(long = "full-name", value_name = "NAME")]
    pub full_name: Option<String>,

    /// Create the user disabled
    #[arg(long = "disabled")]
    pub disabled: bool,

    /// Do nothing (exit 0) when the username already exists
    #[arg(long = "if-not-exists")]
    pub if_not_exists: bool,

    #[command(flatten)]
    pub password: PasswordArgs,

    /// Generate a random password (24 characters) and print it once on stdout
    #[arg(
        long = "random-password",
        conflicts_with_all = ["password_stdin", "password_file"]
    )]
    pub random_password: bool,
}

const SOURCES: &str = "--password-stdin, --password-file PATH or --random-password";

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<u8> {
    let fields = UserFields::new(args.username, args.email, args.full_name, args.disabled)?;
    let mut store = ctx.open(Access::ReadWrite)?;

    // Before asking for a password: nobody should type one twice to learn the name is taken.
    if users::check_can_add(&mut *store, &fields, args.if_not_exists)?.is_some() {
        already_exists(ctx, &fields.username);
        return Ok(exit::SUCCESS);
    }

    let password = if args.random_password {
        password::random_password()?
    } else {
        args.password.read(&fields.username, Prompt::New, SOURCES)?
    };
    // Hashing takes a fraction of a second: done before the write lock is taken.
    let hashed = password::hash(&password)?;
    let user = fields.with_hash(hashed);

    match users::add(&mut *store, &user, args.if_not_exists)? {
        AddOutcome::Created { id } => {
            if args.random_password {
                output::write_line(&mut ctx.out.stdout(), &password)?;
            }
            let state = if user.disabled { " (disabled)" } else { "" };
            ctx.out
                .status(format!("created user '{}' (id {id}){state}", user.username));
        }
        AddOutcome::AlreadyExists => already_exists(ctx, &user.username),
    }
    Ok(exit::SUCCESS)
}

fn already_exists(ctx: &Context, username: &str) {
    ctx.out
        .status(format!("user '{username}' already exists; nothing changed"));
}
