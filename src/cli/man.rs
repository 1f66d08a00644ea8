//! `oddswatch man`: the roff manual page, generated from the real [`Cli`] (clap_mangen), on
//! stdout or, with `--dir`, as one file per command and subcommand.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::CommandFactory;
use color_eyre::eyre::{Result, WrapErr};

use super::Cli;

/// `oddswatch man`
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write oddswatch.1 and one page per subcommand (oddswatch-alerts.1, oddswatch-alerts-list.1,
    /// …) into DIR (created if missing) instead of printing oddswatch.1 on stdout.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// The command tree the pages describe: built, so subcommands carry their full names
/// (`oddswatch-alerts`) and the global flags, and without the `help` subcommand (every page
/// documents `--help`).
fn command() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

fn page(cmd: clap::Command) -> clap_mangen::Man {
    clap_mangen::Man::new(cmd).manual("oddswatch manual")
}

/// The page of `oddswatch` itself, as roff.
pub fn main_page() -> Vec<u8> {
    let mut out = Vec::new();
    page(command())
        .render(&mut out)
        .expect("rendering into memory cannot fail");
    out
}

/// Writes a page for `oddswatch` and every visible subcommand, nested ones too, into `dir`;
/// returns the files written, the main page first.
pub fn write_pages(dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .wrap_err_with(|| format!("cannot create the folder {}", dir.display()))?;
    let mut written = Vec::new();
    write_tree(command(), dir, &mut written)?;
    Ok(written)
}

fn write_tree(cmd: clap::Command, dir: &Path, written: &mut Vec<PathBuf>) -> Result<()> {
    let subcommands: Vec<clap::Command> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .cloned()
        .collect();
    let man = page(cmd);
    let path = dir.join(man.get_filename());
    let mut file = std::fs::File::create(&path)
        .wrap_err_with(|| format!("cannot write {}", path.display()))?;
    man.render(&mut file)
        .and_then(|()| file.flush())
        .wrap_err_with(|| format!("cannot write {}", path.display()))?;
    written.push(path);
    for sub in subcommands {
        write_tree(sub, dir, written)?;
    }
    Ok(())
}

/// Prints the main page, or writes every page into `--dir` and lists them.
pub fn run(args: &ManArgs) -> Result<ExitCode> {
    match &args.dir {
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(&main_page())
                .and_then(|()| stdout.flush())
                .wrap_err("writing the man page to stdout")?;
        }
        Some(dir) => {
            let written = write_pages(dir)?;
            for path in &written {
                println!("wrote {}", path.display());
            }
            println!("{} pages", written.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subcommand_pages_are_named_after_their_full_command() {
        let dir = tempfile::tempdir().unwrap();
        let written = write_pages(dir.path()).unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names[0], "oddswatch.1");
        for name in [
            "oddswatch-alerts.1",
            "oddswatch-alerts-list.1",
            "oddswatch-man.1",
        ] {
            assert!(names.iter().any(|n| n == name), "{name} missing: {names:?}");
        }
        assert!(!names.iter().any(|n| n.contains("help")), "{names:?}");
    }
}
