//! `oddswatch completions` and `oddswatch man`, checked by the tools that consume them: bash
//! (and zsh or fish when installed) parse and run the scripts, man renders the pages.

use std::path::Path;
use std::process::Command;

use predicates::prelude::*;

use crate::sandbox::Sandbox;

/// The five shells `completions` accepts.
const SHELLS: [&str; 5] = ["bash", "zsh", "fish", "powershell", "elvish"];

fn script(s: &Sandbox, shell: &str) -> String {
    let out = s
        .cmd()
        .args(["completions", shell])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

/// Whether `tool` runs here; when it does not, the caller's check is skipped with a notice.
fn installed(tool: &str) -> bool {
    let found = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("notice: {tool} is not installed; skipping its check");
    }
    found
}

#[test]
fn every_shell_gets_a_script_naming_the_subcommands() {
    let s = Sandbox::new();
    for shell in SHELLS {
        let text = script(&s, shell);
        assert!(text.len() > 500, "{shell}: {} bytes", text.len());
        for sub in [
            "alerts",
            "scrape",
            "status",
            "silence",
            "completions",
            "man",
        ] {
            assert!(text.contains(sub), "{shell} script does not name {sub}");
        }
    }
}

#[test]
fn a_bad_shell_name_exits_2_listing_the_shells() {
    Sandbox::new()
        .cmd()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("tcsh").and(predicate::str::contains(
                "bash, elvish, fish, powershell, zsh",
            )),
        );
}

#[test]
fn completions_and_man_need_no_config() {
    let s = Sandbox::new();
    let broken = s.home.path().join("broken.toml");
    std::fs::write(&broken, "[log]\nformat = \"xml\"\n").unwrap();
    for args in [&["completions", "bash"][..], &["man"][..]] {
        s.cmd()
            .arg("--config")
            .arg(&broken)
            .args(args)
            .assert()
            .success()
            .stdout(predicate::str::is_empty().not());
    }
}

#[test]
fn the_scripts_parse_in_their_shells() {
    let s = Sandbox::new();
    let dir = s.home.path();
    let checks: [(&str, &str, &[&str]); 3] = [
        ("bash", "oddswatch.bash", &["-n"]),
        ("zsh", "_oddswatch", &["-n"]),
        ("fish", "oddswatch.fish", &["--no-execute"]),
    ];
    for (shell, file, flags) in checks {
        if shell != "bash" && !installed(shell) {
            continue;
        }
        let path = dir.join(file);
        std::fs::write(&path, script(&s, shell)).unwrap();
        let out = Command::new(shell).args(flags).arg(&path).output().unwrap();
        assert!(
            out.status.success(),
            "{shell} {flags:?} refused the script: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Sources the bash script in a real bash, finds the function `complete -p` registered, and
/// calls it as readline would for the words given; prints `complete -p`, then one reply a line.
fn bash_complete(path: &Path, words: &[&str]) -> (String, Vec<String>) {
    let line = words.join(" ");
    let program = format!(
        r#"source "$1" || exit 3
spec=$(complete -p oddswatch) || exit 4
echo "$spec"
fn=$(sed -E 's/.* -F ([^ ]+) .*/\1/' <<<"$spec")
COMP_WORDS=({words})
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_LINE="{line}"
COMP_POINT=${{#COMP_LINE}}
"$fn" oddswatch "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}"
"#,
        words = words.join(" "),
    );
    let out = Command::new("bash")
        .args(["-c", &program, "bash"])
        .arg(path)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "bash exit {:?}: {stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines = stdout.lines().map(str::to_string);
    let spec = lines.next().unwrap_or_default();
    (spec, lines.filter(|l| !l.is_empty()).collect())
}

#[test]
fn a_bash_session_completes_subcommands_and_shell_names() {
    let s = Sandbox::new();
    let path = s.home.path().join("oddswatch.bash");
    std::fs::write(&path, script(&s, "bash")).unwrap();

    let (spec, replies) = bash_complete(&path, &["oddswatch", "al"]);
    assert!(
        spec.starts_with("complete ") && spec.ends_with(" oddswatch"),
        "{spec}"
    );
    assert_eq!(replies, ["alerts"], "oddswatch al<TAB>");

    let (_, replies) = bash_complete(&path, &["oddswatch", "alerts", "l"]);
    assert_eq!(replies, ["list"], "oddswatch alerts l<TAB>");

    let (_, replies) = bash_complete(&path, &["oddswatch", "completions", "p"]);
    assert_eq!(replies, ["powershell"], "oddswatch completions p<TAB>");
}

#[test]
fn man_prints_a_roff_page_listing_the_subcommands() {
    let out = Sandbox::new()
        .cmd()
        .arg("man")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let page = String::from_utf8(out).unwrap();
    let header: Vec<&str> = page.lines().take(4).collect();
    assert!(header.iter().all(|l| l.starts_with('.')), "{header:?}");
    assert!(
        header.iter().any(|l| l.starts_with(".TH oddswatch 1 ")),
        "no .TH naming oddswatch in {header:?}"
    );
    assert!(page.contains(".SH SUBCOMMANDS"), "{page}");
    for sub in ["alerts", "scrape", "status", "completions", "man"] {
        assert!(
            page.contains(&format!("oddswatch\\-{sub}(1)")),
            "{sub} not listed"
        );
    }
}

#[test]
fn man_dir_writes_a_page_per_command_and_man_renders_them() {
    let s = Sandbox::new();
    let dir = s.home.path().join("share/man/man1");
    let out = s
        .cmd()
        .arg("man")
        .arg("--dir")
        .arg(&dir)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let listing = String::from_utf8(out).unwrap();
    for name in [
        "oddswatch.1",
        "oddswatch-alerts.1",
        "oddswatch-alerts-list.1",
        "oddswatch-scrape.1",
        "oddswatch-completions.1",
    ] {
        let path = dir.join(name);
        assert!(path.is_file(), "{name} not written");
        assert!(
            listing.contains(&format!("wrote {}", path.display())),
            "{name} not listed: {listing}"
        );
    }
    let files = std::fs::read_dir(&dir).unwrap().count();
    assert!(
        listing.contains(&format!("{files} pages")),
        "{files} files: {listing}"
    );

    if !installed("man") {
        return;
    }
    let rendered = Command::new("man")
        .arg("-l")
        .arg(dir.join("oddswatch-alerts-list.1"))
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&rendered.stdout);
    assert!(
        rendered.status.success(),
        "man -l: {}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    for part in ["NAME", "oddswatch-alerts-list", "SYNOPSIS", "--severity"] {
        assert!(
            text.contains(part),
            "no {part} in the rendered page: {text}"
        );
    }
}
