//! `oddswatch completions SHELL`: the shell completion script, generated from the real [`Cli`]
//! so it always matches the commands and flags of this build.

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;
use color_eyre::eyre::{Result, WrapErr};

use super::Cli;

/// `oddswatch completions`
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}

/// The completion script for `shell`, as bytes (what `completions` prints).
pub fn script(shell: Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let name = cmd.get_name().to_string();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, name, &mut out);
    out
}

/// Prints the script on stdout.
pub fn run(args: &CompletionsArgs) -> Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&script(args.shell))
        .and_then(|()| stdout.flush())
        .wrap_err("writing the completion script to stdout")?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn every_shell_gets_a_script_naming_the_subcommands() {
        for shell in Shell::value_variants() {
            let text = String::from_utf8(script(*shell)).unwrap();
            for sub in ["alerts", "scrape", "status", "completions", "man"] {
                assert!(text.contains(sub), "{shell}: no {sub}");
            }
        }
    }
}
