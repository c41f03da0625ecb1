//! `authctl man`: the manual page, generated from the same definitions as `--help`.

use clap::CommandFactory;

use crate::exit;

use super::{Cli, Context};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  authctl man > /usr/local/share/man/man1/authctl.1
  authctl man | man -l -")]
pub struct Args {}

pub fn run(_args: Args, ctx: &Context) -> anyhow::Result<u8> {
    let mut out = ctx.out.stdout();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    std::io::Write::flush(&mut out)?;
    Ok(exit::SUCCESS)
}
