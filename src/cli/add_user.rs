//! `authctl add-user`: one user, with a password from a prompt, stdin, a file, or generated;
//! `--upsert` makes it declarative, for scripts that must be safe to re-run.

use crate::db::Access;
use crate::exit;
use crate::users::{self, Action, OnExisting, PasswordChange, UserSpec};

use super::password_source::NewPasswordArgs;
use super::{Context, WriteArgs};
use super::{hash_scheme, output};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
There is no option that takes the password itself: it would show in `ps` and shell history.
The hash is what the service's scheme writes: Argon2id with pwdlib's parameters (m=65536, t=3,
p=4), or bcrypt for a passlib-era service (--hash-scheme; detected from the stored hashes).

With --upsert an existing user is brought to the values given (--email, --full-name,
--disabled/--enabled; what is not given is left alone) and its password is replaced only with
--update-password, and then only if it differs: re-running the same command changes nothing.

Examples:
  authctl add-user alice --email alice@example.com --full-name 'Alice Liddell'
  printf '%s\\n' \"$PASSWORD\" | authctl add-user alice --password-stdin
  authctl add-user ci-bot --random-password --if-not-exists > ci-bot.password
  authctl add-user alice --upsert --email alice@new.example.com --format json")]
pub struct Args {
    /// The login name, stored exactly as given (the service matches it case-sensitively)
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

    /// Do nothing (exit 0) when the username already exists
    #[arg(long = "if-not-exists", conflicts_with = "upsert")]
    pub if_not_exists: bool,

    /// Create the user, or bring an existing one to the values given
    #[arg(long = "upsert")]
    pub upsert: bool,

    /// With --upsert: also set the password of an existing user (left alone otherwise)
    #[arg(long = "update-password", requires = "upsert")]
    pub update_password: bool,

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
    let spec = UserSpec::new(
        args.username,
        args.email.map(Some),
        args.full_name.map(Some),
        disabled,
    )?;
    let on_existing = if args.upsert {
        OnExisting::Update {
            password: args.update_password,
        }
    } else if args.if_not_exists {
        OnExisting::Skip
    } else {
        OnExisting::Fail
    };
    let mut store = ctx.open(Access::ReadWrite)?;

    // Before asking for a password: nobody should type one twice to learn the name is taken.
    let plan = users::plan(&mut *store, &spec, on_existing)?;
    let mut generated = None;
    let mut hashed_for = None;
    let change = if plan.needs_password {
        let scheme = args.password.scheme.resolve(&mut *store)?;
        let (password, random) = args.password.read(&spec.username)?;
        generated = random;
        let hasher = args.password.hasher(ctx.out, scheme.scheme);
        hash_scheme::note_detection(ctx.out, &scheme);
        hashed_for = Some(scheme.scheme.name());
        // Hashing takes a fraction of a second: done before the write lock is taken.
        users::password_change(&plan, &password, &hasher)?
    } else {
        PasswordChange::None
    };

    let mut outcome = users::add(&mut *store, &spec, &change, on_existing, args.write.dry_run)?;
    if outcome.action == Action::Skipped {
        outcome.action = Action::Unchanged;
    }
    let unchanged = if args.upsert {
        "already exists as given"
    } else {
        "already exists"
    };
    let report = output::Report {
        hash_scheme: hashed_for,
        ..args.write.report(unchanged)
    };
    report.emit(ctx.out, &outcome, generated.as_deref())?;
    Ok(exit::SUCCESS)
}
