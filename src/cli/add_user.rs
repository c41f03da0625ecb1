//! `authctl add-user`: one user, with a password from a prompt, stdin, a file, or generated;
//! `--upsert` makes it declarative, for scripts that must be safe to re-run.

use crate::db::Access;
use crate::exit;
use crate::users::{self, AddOptions, OnExisting, Rules, UserSpec};

use super::secrets::NewPasswordArgs;
use super::{Context, WriteArgs};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
There is no option that takes the password itself: it would show in `ps` and shell history.
The hash is what the service's scheme writes: Argon2id with pwdlib's parameters (m=65536, t=3,
p=4), or bcrypt for a passlib-era service (--hash-scheme; detected from the stored hashes).

Usernames that differ from an existing one only in case, or that look the same (Unicode
confusables, as Cyrillic \"а\" for \"a\"), are refused (exit 4) unless --allow-look-alike is given.

New passwords must have at least 8 characters (--min-password-length), must not be in a list of
99,838 commonly used passwords, nor be mostly the username or email; --allow-weak-password stores
one anyway, with a warning (throwaway CI fixtures). They are stored exactly as given.

With --upsert an existing user is brought to the values given (--email, --full-name,
--disabled/--enabled; what is not given is left alone) and its password is replaced only with
--update-password, and then only if it differs: re-running the same command changes nothing.

On the full-stack template's and fastapi-users' tables the login is the email, the id a new
UUID in the form the application stores, and --superuser/--verified set their rights.

Examples:
  authctl add-user alice --email alice@example.com --full-name 'Alice Liddell'
  authctl add-user admin@example.com --superuser --verified --password-file admin.pw
  printf '%s\\n' \"$PASSWORD\" | authctl add-user alice --password-stdin
  authctl add-user ci-bot --random-password --if-not-exists > ci-bot.password
  authctl add-user alice --upsert --email alice@new.example.com --format json")]
pub struct Args {
    /// The login: a username, or the email on the fastapi-template and fastapi-users tables
    /// (stored exactly as given)
    pub username: String,

    /// Email address (unique among users)
    #[arg(long = "email", value_name = "EMAIL")]
    pub email: Option<String>,

    /// Full name
    #[arg(long = "full-name", value_name = "NAME")]
    pub full_name: Option<String>,

    /// Create the user disabled (with --upsert: disable an existing one)
    #[arg(long = "disabled", conflicts_with = "enabled")]
    pub disabled: bool,

    /// With --upsert: enable an existing user (new users are enabled anyway)
    #[arg(long = "enabled")]
    pub enabled: bool,

    /// Make the user a superuser (is_superuser; fastapi-template and fastapi-users tables)
    #[arg(long = "superuser")]
    pub superuser: bool,

    /// Mark the user's email as verified (is_verified; fastapi-users tables)
    #[arg(long = "verified")]
    pub verified: bool,

    /// Do nothing (exit 0) when the username already exists
    #[arg(long = "if-not-exists", conflicts_with = "upsert")]
    pub if_not_exists: bool,

    /// Create the user, or bring an existing one to the values given
    #[arg(long = "upsert")]
    pub upsert: bool,

    /// With --upsert: also set the password of an existing user (left alone otherwise)
    #[arg(long = "update-password", requires = "upsert")]
    pub update_password: bool,

    /// Add a username that looks like an existing one (differs only in case, or is a Unicode
    /// confusable such as Cyrillic "а" for "a"), with a warning
    #[arg(long = "allow-look-alike")]
    pub allow_look_alike: bool,

    #[command(flatten)]
    pub password: NewPasswordArgs,

    #[command(flatten)]
    pub write: WriteArgs,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<u8> {
    let disabled = match (args.disabled, args.enabled) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    let spec = UserSpec {
        superuser: args.superuser.then_some(true),
        verified: args.verified.then_some(true),
        ..UserSpec::new(
            args.username,
            args.email.map(Some),
            args.full_name.map(Some),
            disabled,
        )?
    };
    let on_existing = if args.upsert {
        OnExisting::Update {
            password: args.update_password,
        }
    } else if args.if_not_exists {
        OnExisting::Skip
    } else {
        OnExisting::Fail
    };
    let options = AddOptions {
        on_existing,
        hashing: args.password.hashing(),
        rules: Rules {
            policy: args.password.policy.policy(),
            allow_look_alike: args.allow_look_alike,
        },
        dry_run: args.write.dry_run,
    };
    let mut store = ctx.open(Access::ReadWrite)?;
    let mut passwords = args.password.source(ctx.out);
    let outcome = users::add(&mut *store, &spec, options, &mut passwords)?;
    let unchanged = if args.upsert {
        "already exists as given"
    } else {
        "already exists"
    };
    args.write.report(unchanged).emit(
        ctx.out,
        &outcome,
        passwords.generated.as_ref().map(|p| p.as_str()),
    )?;
    Ok(exit::SUCCESS)
}
