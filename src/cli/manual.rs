//! What the command line says about itself, generated from its clap definitions: the manual
//! pages (`fairsynth man DIR`, roff via `clap_mangen`), shell completions (`fairsynth
//! completions SHELL`, via `clap_complete`) and the book's command reference
//! (`docs/src/reference/cli.md`, kept equal to [`reference`] by a test).

use std::path::{Path, PathBuf};

use clap::CommandFactory;

use super::args::Cli;

/// The whole command line, as clap sees it once built (help subcommands included).
pub(crate) fn command() -> clap::Command {
    let mut cmd = Cli::command();
    cmd.build();
    cmd
}

/// Every command worth a page: the top level, then each subcommand depth first, with the
/// words that invoke it (`["fairsynth", "schema", "check"]`). `help` is left out.
pub(crate) fn commands(cmd: &clap::Command) -> Vec<(Vec<String>, clap::Command)> {
    fn walk(cmd: &clap::Command, words: Vec<String>, out: &mut Vec<(Vec<String>, clap::Command)>) {
        out.push((words.clone(), cmd.clone()));
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            let mut w = words.clone();
            w.push(sub.get_name().to_string());
            walk(sub, w, out);
        }
    }
    let mut out = Vec::new();
    walk(cmd, vec![cmd.get_name().to_string()], &mut out);
    out
}

/// The manual pages: (file name, roff), e.g. `fairsynth-schema-check.1`.
pub(crate) fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut pages = Vec::new();
    for (words, cmd) in commands(&command()) {
        let name = words.join("-");
        let page = cmd.name(name.clone()).bin_name(words.join(" "));
        let mut roff = Vec::new();
        clap_mangen::Man::new(page).render(&mut roff)?;
        pages.push((format!("{name}.1"), roff));
    }
    Ok(pages)
}

/// Writes the manual pages into `dir` (made when missing), each atomically; returns the paths.
pub(crate) fn write_man_pages(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if dir.exists() && !dir.is_dir() {
        anyhow::bail!(
            "{} is not a folder: give `fairsynth man` a folder to write the pages into",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot make the folder {}: {e}", dir.display()))?;
    let mut written = Vec::new();
    for (name, roff) in man_pages()? {
        let path = dir.join(name);
        fairsynth::io::write_atomic(&path, &roff)?;
        written.push(path);
    }
    Ok(written)
}

/// The completion script for `shell`.
pub(crate) fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "fairsynth", &mut out);
    out
}

/// The book's command reference: every command's description, usage, arguments, options
/// (grouped under their headings) and examples, in Markdown. Only the test that keeps the
/// committed page in step calls it.
#[cfg(test)]
pub(crate) fn reference() -> String {
    use std::fmt::Write as _;
    let mut md = String::from(
        "# Commands\n\n<!-- Generated from the command line's definitions (src/cli/args.rs) by \
         src/cli/manual.rs; a test fails when this page differs. Regenerate with \
         `FAIRSYNTH_BLESS=1 cargo test --bin fairsynth reference`. -->\n\n\
         Every command, as `fairsynth COMMAND --help` shows it. `fairsynth man DIR` writes the \
         same as manual pages; `fairsynth completions SHELL` writes shell completions. Exit \
         codes are on [their own page](exit-codes.md).\n",
    );
    for (words, cmd) in commands(&command()) {
        let title = words.join(" ");
        let _ = write!(md, "\n## `{title}`\n\n");
        if let Some(about) = cmd.get_long_about().or(cmd.get_about()) {
            let _ = writeln!(md, "{}\n", escape(about.to_string().trim()));
        }
        let mut usage_cmd = cmd.clone().bin_name(title.clone());
        let usage = usage_cmd.render_usage().to_string();
        let usage = usage.trim().trim_start_matches("Usage:").trim();
        let _ = write!(md, "```text\n{usage}\n```\n");
        let subs: Vec<_> = cmd
            .get_subcommands()
            .filter(|s| s.get_name() != "help")
            .collect();
        if !subs.is_empty() {
            md.push_str("\n**Commands**\n\n");
            for s in subs {
                let about = s.get_about().map(|a| a.to_string()).unwrap_or_default();
                let anchor = format!("{title} {}", s.get_name()).replace(' ', "-");
                let _ = writeln!(
                    md,
                    "- [`{}`](#{anchor}): {}",
                    s.get_name(),
                    escape(about.trim())
                );
            }
        }
        let mut headings: Vec<Option<String>> = Vec::new();
        for a in cmd.get_arguments() {
            let h = a.get_help_heading().map(str::to_string);
            if !headings.contains(&h) {
                headings.push(h);
            }
        }
        for heading in headings {
            let args: Vec<_> = cmd
                .get_arguments()
                .filter(|a| a.get_help_heading().map(str::to_string) == heading && !a.is_hide_set())
                .collect();
            if args.is_empty() {
                continue;
            }
            let name = heading.unwrap_or_else(|| "Arguments and options".to_string());
            let _ = write!(md, "\n**{name}**\n\n");
            for a in args {
                let _ = writeln!(md, "- {}", describe(a));
            }
        }
        if let Some(after) = cmd.get_after_help() {
            let text = after.to_string();
            let body = text
                .trim()
                .trim_start_matches("Examples:")
                .trim_matches('\n')
                .trim_end();
            let (examples, rest) = match body.find("\n\n") {
                Some(i) => (&body[..i], body[i..].trim()),
                None => (body, ""),
            };
            md.push_str("\n**Examples**\n\n```sh\n");
            for line in examples.lines() {
                let line = line.trim();
                let _ = writeln!(md, "{}", line.strip_prefix("$ ").unwrap_or(line));
            }
            md.push_str("```\n");
            if !rest.is_empty() {
                let _ = writeln!(
                    md,
                    "\n{}",
                    rest.split_whitespace().collect::<Vec<_>>().join(" ")
                );
            }
        }
    }
    md
}

/// Markdown-safe prose: `<` and `>` outside code spans as entities (`FAIRSYNTH_KEY_<ID>`
/// would otherwise open an HTML tag).
#[cfg(test)]
fn escape(text: &str) -> String {
    text.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                part.to_string()
            } else {
                part.replace('<', "&lt;").replace('>', "&gt;")
            }
        })
        .collect::<Vec<_>>()
        .join("`")
}

/// One argument's line: its flags or name, value, default, possible values and help.
#[cfg(test)]
fn describe(a: &clap::Arg) -> String {
    use std::fmt::Write as _;
    let mut names = Vec::new();
    if let Some(s) = a.get_short() {
        names.push(format!("-{s}"));
    }
    if let Some(l) = a.get_long() {
        names.push(format!("--{l}"));
    }
    let takes_value = a.get_num_args().is_some_and(|n| n.takes_values());
    let value = a
        .get_value_names()
        .map(|v| {
            v.iter()
                .map(|n| format!("<{n}>"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| format!("<{}>", a.get_id().as_str().to_uppercase()));
    let shown = if names.is_empty() {
        value.clone()
    } else if takes_value {
        format!("{} {value}", names.join(", "))
    } else {
        names.join(", ")
    };
    let help = a
        .get_long_help()
        .or(a.get_help())
        .map(|h| h.to_string())
        .unwrap_or_default();
    let mut line = format!("`{shown}`");
    if a.is_required_set() {
        line.push_str(" (required)");
    }
    let mut help = escape(&help.split_whitespace().collect::<Vec<_>>().join(" "));
    if !help.ends_with(['.', '!', '?', ')']) {
        help.push('.');
    }
    let _ = write!(line, ": {help}");
    let defaults: Vec<String> = a
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    if !defaults.is_empty() && takes_value {
        let _ = write!(line, " Default: `{}`.", defaults.join(" "));
    }
    let possible: Vec<String> = a
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| match v.get_help() {
            Some(h) => format!(
                "`{}` ({})",
                v.get_name(),
                h.to_string().trim_end_matches('.')
            ),
            None => format!("`{}`", v.get_name()),
        })
        .collect();
    if !possible.is_empty() && takes_value {
        let _ = write!(line, " Values: {}.", possible.join(", "));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed command reference equals the one generated from the definitions;
    /// `FAIRSYNTH_BLESS=1` rewrites it.
    #[test]
    fn reference_is_up_to_date() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/src/reference/cli.md");
        let now = reference();
        if std::env::var_os("FAIRSYNTH_BLESS").is_some() {
            std::fs::write(&path, &now).expect("write docs/src/reference/cli.md");
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == now,
            "docs/src/reference/cli.md differs from the command line's definitions: \
             regenerate it with `FAIRSYNTH_BLESS=1 cargo test --bin fairsynth reference`"
        );
    }

    /// Every command says what it does and ends its help with examples; every argument and
    /// every possible value says what it is for.
    #[test]
    fn every_command_and_flag_is_documented() {
        let mut missing = Vec::new();
        for (words, cmd) in commands(&command()) {
            let title = words.join(" ");
            if cmd.get_about().is_none() {
                missing.push(format!("`{title}` has no description"));
            }
            let examples = cmd
                .get_after_help()
                .is_some_and(|h| h.to_string().starts_with("Examples:\n  "));
            if !examples && cmd.get_subcommands().next().is_none() {
                missing.push(format!("`{title} --help` does not end with examples"));
            }
            for a in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
                if a.get_help().is_none() && a.get_long_help().is_none() {
                    missing.push(format!("`{title}`: argument `{}` has no help", a.get_id()));
                }
                for v in a.get_possible_values() {
                    if v.get_help().is_none() && !v.is_hide_set() && a.get_id() != "shell" {
                        missing.push(format!(
                            "`{title}`: value `{}` of `{}` has no help",
                            v.get_name(),
                            a.get_id()
                        ));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "undocumented:\n{}", missing.join("\n"));
    }

    #[test]
    fn a_page_for_every_command() {
        let pages = man_pages().expect("render");
        let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
        for expected in [
            "fairsynth.1",
            "fairsynth-synth.1",
            "fairsynth-schema-check.1",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
        let synth = &pages
            .iter()
            .find(|(n, _)| n == "fairsynth-synth.1")
            .expect("synth page")
            .1;
        let text = String::from_utf8_lossy(synth);
        assert!(text.contains(".TH fairsynth-synth 1"), "{text}");
        assert!(text.contains("\\-\\-schema"), "{text}");
        assert!(
            text.contains("schemas/shop.yaml"),
            "examples missing: {text}"
        );
    }

    #[test]
    fn completions_name_every_command() {
        let bash = String::from_utf8(completions(clap_complete::Shell::Bash)).expect("utf-8");
        for c in ["synth", "deidentify", "evaluate", "completions", "man"] {
            assert!(bash.contains(c), "bash completion lacks {c}");
        }
    }
}
