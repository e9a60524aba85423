//! systemd unit files as systemd reads them, for what a runtime's service really runs:
//! the effective `ExecStart=` command line (after drop-ins, with `$VAR`/`${VAR}` expanded
//! from the environment) and the environment the process gets (systemd.exec(5)):
//! `Environment=` assignments in order, then the files named by `EnvironmentFile=` (read
//! by the caller), whose settings override `Environment=` wherever the lines stand; an
//! empty `Environment=` or `EnvironmentFile=` resets its list; `UnsetEnvironment=` removes
//! names at the end. Pure: texts in, data out.

use serde::Serialize;

/// Where a value was set: `file:line`.
pub type Origin = String;

/// One unit file or drop-in, as read.
#[derive(Debug, Clone)]
pub struct UnitText<'a> {
    /// The path shown to users.
    pub path: &'a str,
    /// Its text.
    pub text: &'a str,
}

/// The effective command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExecStart {
    /// The words, after expansion (`argv[0]` is the program).
    pub argv: Vec<String>,
    /// Where the `ExecStart=` line is.
    pub origin: Origin,
}

/// One environment variable of the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvVar {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: String,
    /// Where it was set.
    pub origin: Origin,
}

/// What a service's unit files say, in the order systemd applies them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Service {
    /// The effective `ExecStart=`, when one is set.
    pub exec_start: Option<ExecStart>,
    /// The environment in the order systemd applies it (`Environment=`, then the
    /// `EnvironmentFile=` files), later ones overriding earlier ones.
    pub environment: Vec<EnvVar>,
    /// `EnvironmentFile=` paths, in order (a leading `-` means "if it exists").
    pub environment_files: Vec<(String, Origin)>,
}

impl Service {
    /// The value of an environment variable (the last assignment wins).
    pub fn env(&self, name: &str) -> Option<&EnvVar> {
        self.environment.iter().rev().find(|e| e.name == name)
    }
}

/// Logical lines of a unit file (backslash continuations joined) with their first line
/// number, inside `[Service]` only.
fn service_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_service = false;
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some((start, mut acc)) = pending.take() {
            let (part, more) = match line.strip_suffix('\\') {
                Some(p) => (p, true),
                None => (line, false),
            };
            acc.push(' ');
            acc.push_str(part.trim());
            if more {
                pending = Some((start, acc));
            } else if in_service {
                out.push((start, acc));
            }
            continue;
        }
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') {
            in_service = line == "[Service]";
            continue;
        }
        match line.strip_suffix('\\') {
            Some(p) => pending = Some((i + 1, p.trim_end().to_string())),
            None if in_service => out.push((i + 1, line.to_string())),
            None => {}
        }
    }
    if let Some((start, acc)) = pending
        && in_service
    {
        out.push((start, acc));
    }
    out
}

/// Splits a command line or an `Environment=` value into words, with systemd's quoting
/// (double and single quotes, backslash escapes).
pub fn split_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                    in_word = true;
                }
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// `NAME=value` lines of an environment file (`/etc/default/docker`, an `EnvironmentFile=`).
pub fn env_file(path: &str, text: &str) -> Vec<EnvVar> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        let value = split_words(value).join(" ");
        out.push(EnvVar {
            name: name.trim().to_string(),
            value,
            origin: format!("{path}:{}", i + 1),
        });
    }
    out
}

/// Applies the unit file and its drop-ins in order. `read_env_file` returns the text of an
/// `EnvironmentFile=` (None when it cannot be read); its variables override every
/// `Environment=` assignment, as systemd reads the files just before starting the process.
pub fn parse(
    units: &[UnitText<'_>],
    read_env_file: &mut dyn FnMut(&str) -> Option<String>,
) -> Service {
    let mut svc = Service::default();
    let mut raw_exec: Option<(String, Origin)> = None;
    let mut unset: Vec<String> = Vec::new();
    for unit in units {
        for (line_no, line) in service_lines(unit.text) {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let origin = format!("{}:{line_no}", unit.path);
            let value = value.trim();
            match key.trim() {
                "ExecStart" if value.is_empty() => raw_exec = None,
                "ExecStart" => raw_exec = Some((value.to_string(), origin)),
                "Environment" if value.is_empty() => svc.environment.clear(),
                "Environment" => {
                    for w in split_words(value) {
                        if let Some((n, v)) = w.split_once('=') {
                            svc.environment.push(EnvVar {
                                name: n.to_string(),
                                value: v.to_string(),
                                origin: origin.clone(),
                            });
                        }
                    }
                }
                "EnvironmentFile" if value.is_empty() => svc.environment_files.clear(),
                "EnvironmentFile" => svc.environment_files.push((value.to_string(), origin)),
                "UnsetEnvironment" if value.is_empty() => unset.clear(),
                "UnsetEnvironment" => unset.extend(split_words(value)),
                _ => {}
            }
        }
    }
    for (value, _) in &svc.environment_files {
        let path = value.trim_start_matches('-');
        if let Some(text) = read_env_file(path) {
            svc.environment.extend(env_file(path, &text));
        }
    }
    // A name removes the variable; `NAME=value` only that exact assignment.
    for u in &unset {
        let last = svc
            .environment
            .iter()
            .rposition(|e| match u.split_once('=') {
                Some((n, v)) => e.name == n && e.value == v,
                None => e.name == *u,
            });
        if let Some(i) = last {
            let name = svc.environment[i].name.clone();
            if u.contains('=') {
                svc.environment.remove(i);
            } else {
                svc.environment.retain(|e| e.name != name);
            }
        }
    }
    if let Some((cmd, origin)) = raw_exec {
        // ExecStart prefixes: `-`, `@`, `+`, `!`, `:` change how it runs, not the command.
        let cmd = cmd.trim_start_matches(['-', '@', '+', '!', ':']);
        let argv = split_words(cmd)
            .into_iter()
            .flat_map(|w| expand(&w, &svc))
            .collect();
        svc.exec_start = Some(ExecStart { argv, origin });
    }
    svc
}

/// systemd's expansion in `ExecStart=`: a word that is exactly `$NAME` becomes the value
/// split into words (none when unset); `${NAME}` anywhere is replaced as one word.
fn expand(word: &str, svc: &Service) -> Vec<String> {
    if let Some(name) = word.strip_prefix('$')
        && !name.starts_with('{')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return svc
            .env(name)
            .map(|e| split_words(&e.value))
            .unwrap_or_default();
    }
    let mut out = String::new();
    let mut rest = word;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.find('}') {
            Some(j) => {
                if let Some(e) = svc.env(&after[..j]) {
                    out.push_str(&e.value);
                }
                rest = &after[j + 1..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    vec![out]
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEBIAN: &str = "[Unit]\nDescription=Docker\n\n[Service]\nType=notify\nEnvironmentFile=-/etc/default/docker\nExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock $DOCKER_OPTS\nExecReload=/bin/kill -s HUP $MAINPID\n";

    #[test]
    fn debian_unit_with_its_environment_file() {
        let mut read = |p: &str| {
            assert_eq!(p, "/etc/default/docker");
            Some("# comment\nDOCKER_OPTS=\"--data-root /srv/docker --debug\"\n".to_string())
        };
        let svc = parse(
            &[UnitText {
                path: "/lib/systemd/system/docker.service",
                text: DEBIAN,
            }],
            &mut read,
        );
        let exec = svc.exec_start.unwrap();
        assert_eq!(
            exec.argv,
            [
                "/usr/sbin/dockerd",
                "-H",
                "fd://",
                "--containerd=/run/containerd/containerd.sock",
                "--data-root",
                "/srv/docker",
                "--debug"
            ]
        );
        assert_eq!(exec.origin, "/lib/systemd/system/docker.service:7");
    }

    #[test]
    fn a_drop_in_resets_and_replaces_exec_start_and_adds_environment() {
        let dropin = "[Service]\nEnvironment=\"HTTPS_PROXY=http://proxy:3128\" NO_PROXY=localhost,10.0.0.0/8\nExecStart=\nExecStart=/usr/bin/dockerd \\\n  --data-root=/x\n";
        let svc = parse(
            &[
                UnitText {
                    path: "a.service",
                    text: DEBIAN,
                },
                UnitText {
                    path: "b.conf",
                    text: dropin,
                },
            ],
            &mut |_| None,
        );
        let exec = svc.exec_start.clone().unwrap();
        assert_eq!(exec.argv, ["/usr/bin/dockerd", "--data-root=/x"]);
        assert_eq!(exec.origin, "b.conf:4");
        assert_eq!(svc.env("HTTPS_PROXY").unwrap().value, "http://proxy:3128");
        assert_eq!(svc.env("NO_PROXY").unwrap().value, "localhost,10.0.0.0/8");
        assert_eq!(svc.environment_files[0].0, "-/etc/default/docker");
    }

    /// systemd.exec(5): files override `Environment=` wherever the lines stand; an empty
    /// assignment resets its list; `UnsetEnvironment=` removes at the end.
    #[test]
    fn environment_files_win_and_empty_assignments_reset() {
        let unit = "[Service]\nEnvironmentFile=-/etc/default/x\nEnvironment=HTTPS_PROXY=http://unit:3128 NO_PROXY=a\n";
        let dropin = "[Service]\nEnvironment=\nEnvironment=HTTP_PROXY=http://dropin:3128\nEnvironment=NO_PROXY=b\n";
        let later = "[Service]\nUnsetEnvironment=NO_PROXY\n";
        let mut read = |p: &str| {
            assert_eq!(p, "/etc/default/x");
            Some("HTTPS_PROXY=http://file:3128\n".to_string())
        };
        let svc = parse(
            &[
                UnitText {
                    path: "u.service",
                    text: unit,
                },
                UnitText {
                    path: "10-proxy.conf",
                    text: dropin,
                },
            ],
            &mut read,
        );
        assert_eq!(svc.env("HTTPS_PROXY").unwrap().value, "http://file:3128");
        assert_eq!(svc.env("HTTPS_PROXY").unwrap().origin, "/etc/default/x:1");
        assert_eq!(svc.env("HTTP_PROXY").unwrap().origin, "10-proxy.conf:3");
        assert_eq!(svc.env("NO_PROXY").unwrap().value, "b");
        let svc = parse(
            &[
                UnitText {
                    path: "u.service",
                    text: unit,
                },
                UnitText {
                    path: "20-unset.conf",
                    text: later,
                },
                UnitText {
                    path: "30-files.conf",
                    text: "[Service]\nEnvironmentFile=\n",
                },
            ],
            &mut |_| panic!("the file list was reset"),
        );
        assert!(svc.env("NO_PROXY").is_none());
        assert_eq!(svc.env("HTTPS_PROXY").unwrap().value, "http://unit:3128");
    }

    #[test]
    fn only_the_service_section_counts() {
        let svc = parse(
            &[UnitText {
                path: "x",
                text: "[Install]\nExecStart=/nope\n",
            }],
            &mut |_| None,
        );
        assert!(svc.exec_start.is_none());
    }

    #[test]
    fn braced_variables_expand_inside_words() {
        let svc = parse(
            &[UnitText {
                path: "x",
                text: "[Service]\nEnvironment=ROOT=/data\nExecStart=/d --data-root=${ROOT}/docker $UNSET\n",
            }],
            &mut |_| None,
        );
        assert_eq!(
            svc.exec_start.unwrap().argv,
            ["/d", "--data-root=/data/docker"]
        );
    }
}
