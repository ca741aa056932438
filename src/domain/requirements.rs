//! Python dependencies of a version, read from requirements.txt files and `pip_packages`
//! lists. The reading never fails: a registry shows what it understood and lists the lines it
//! did not, with a reason, instead of refusing a model over a dependency file.
//!
//! This follows pip's requirements file format and PEP 508 closely enough for display and
//! search; it does not evaluate markers, expand environment variables or follow `-r` includes.

use serde::{Deserialize, Serialize};

mod lines;
mod requirement;
mod specifier;

pub use lines::{parse_pip_packages, parse_requirements};

/// One version constraint, such as `>=` `1.0`, or `@` with a direct URL reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Constraint {
    /// One of "==", "!=", ">=", "<=", ">", "<", "~=", "===", or "@" for a direct URL.
    pub constraint_type: String,
    /// The version, or the URL for "@".
    pub version: String,
}

/// Where a dependency was declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DependencySource {
    Requirements,
    PipPackages,
}

/// One requirement as understood.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Dependency {
    /// The name as written.
    pub package_name: String,
    /// PEP 503: lowercase, runs of '-', '_' and '.' become one '-'; what names compare by.
    pub normalized_name: String,
    pub extras: Vec<String>,
    pub constraints: Vec<Constraint>,
    /// The environment marker after ';', trimmed.
    pub marker: Option<String>,
    /// The logical line as written: continuations joined with a single space, comment
    /// stripped, trimmed.
    pub line: String,
    /// 1-based number of the line's first physical line.
    pub line_number: u32,
    pub source: DependencySource,
}

/// A line that declares something this reader did not understand, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UnparsedLine {
    pub line: String,
    pub line_number: u32,
    pub reason: String,
    pub source: DependencySource,
}

/// Everything read from one or more sources.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependencies {
    pub dependencies: Vec<Dependency>,
    pub unparsed: Vec<UnparsedLine>,
}

impl Dependencies {
    /// Appends another source's results after this one's. Nothing is de-duplicated: each entry
    /// says where it came from, and the same package in two places is worth seeing.
    pub fn merge(&mut self, other: Dependencies) {
        self.dependencies.extend(other.dependencies);
        self.unparsed.extend(other.unparsed);
    }
}

/// Beyond this many lines (or entries), the rest is ignored and one `UnparsedLine` says so;
/// it bounds the work and the stored result for any upload.
pub const MAX_REQUIREMENT_LINES: usize = 10_000;

#[cfg(test)]
mod tests {
    use super::*;

    fn constraint(op: &str, version: &str) -> Constraint {
        Constraint {
            constraint_type: op.to_owned(),
            version: version.to_owned(),
        }
    }

    /// The one dependency a single line gives; panics (with the reason) if it is unparsed.
    fn one(line: &str) -> Dependency {
        let parsed = parse_requirements(line, DependencySource::Requirements);
        assert!(
            parsed.unparsed.is_empty(),
            "{line:?}: {:?}",
            parsed.unparsed
        );
        assert_eq!(parsed.dependencies.len(), 1, "{line:?}");
        parsed
            .dependencies
            .into_iter()
            .next()
            .expect("one dependency")
    }

    /// The reason a single line is not understood.
    fn unparsed(line: &str) -> String {
        let parsed = parse_requirements(line, DependencySource::Requirements);
        assert!(
            parsed.dependencies.is_empty(),
            "{line:?}: {:?}",
            parsed.dependencies
        );
        assert_eq!(parsed.unparsed.len(), 1, "{line:?}");
        parsed.unparsed.into_iter().next().expect("one").reason
    }

    fn nothing(text: &str) {
        assert_eq!(
            parse_requirements(text, DependencySource::Requirements),
            Dependencies::default(),
            "{text:?}"
        );
    }

    #[test]
    fn a_realistic_requirements_file() {
        let text = "\
# Core numerical stack
numpy==1.26.4
pandas>=2.0,<3  # dataframes
scikit-learn ~= 1.4.0

-r base.txt
--extra-index-url https://download.pytorch.org/whl/cu121
torch==2.2.1+cu121 ; sys_platform == \"linux\"
requests[socks,security] >= 2.31 \\
    --hash=sha256:aaaa \\
    --hash=sha256:bbbb
-e git+https://github.com/org/tool.git@v1.0#egg=tool
./vendor/local_pkg
my_pkg @ https://example.com/my_pkg-1.0-py3-none-any.whl
Django (>=4.2,<5)
typing-extensions; python_version < \"3.10\"
pkg=>1
";
        let parsed = parse_requirements(text, DependencySource::Requirements);
        let names: Vec<&str> = parsed
            .dependencies
            .iter()
            .map(|d| d.normalized_name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "numpy",
                "pandas",
                "scikit-learn",
                "torch",
                "requests",
                "tool",
                "my-pkg",
                "django",
                "typing-extensions"
            ]
        );
        let lines: Vec<u32> = parsed.dependencies.iter().map(|d| d.line_number).collect();
        assert_eq!(lines, [2, 3, 4, 8, 9, 12, 14, 15, 16]);

        let pandas = &parsed.dependencies[1];
        assert_eq!(
            pandas.constraints,
            [constraint(">=", "2.0"), constraint("<", "3")]
        );
        assert_eq!(pandas.line, "pandas>=2.0,<3");

        let torch = &parsed.dependencies[3];
        assert_eq!(torch.constraints, [constraint("==", "2.2.1+cu121")]);
        assert_eq!(torch.marker.as_deref(), Some("sys_platform == \"linux\""));

        let requests = &parsed.dependencies[4];
        assert_eq!(requests.extras, ["socks", "security"]);
        assert_eq!(requests.constraints, [constraint(">=", "2.31")]);
        assert_eq!(
            requests.line,
            "requests[socks,security] >= 2.31 --hash=sha256:aaaa --hash=sha256:bbbb"
        );

        assert_eq!(
            parsed.dependencies[5].constraints,
            [constraint(
                "@",
                "git+https://github.com/org/tool.git@v1.0#egg=tool"
            )]
        );
        assert_eq!(parsed.dependencies[6].package_name, "my_pkg");

        let reasons: Vec<(u32, &str)> = parsed
            .unparsed
            .iter()
            .map(|u| (u.line_number, u.line.as_str()))
            .collect();
        assert_eq!(reasons, [(13, "./vendor/local_pkg"), (17, "pkg=>1")]);
        assert!(
            parsed.unparsed[0]
                .reason
                .starts_with("editable or local requirement without a package name")
        );
        assert!(parsed.unparsed[1].reason.contains("'>='"));
        assert!(
            parsed
                .dependencies
                .iter()
                .all(|d| d.source == DependencySource::Requirements)
        );
    }

    #[test]
    fn bare_names_and_normalization() {
        let dep = one("Scikit_Learn");
        assert_eq!(dep.package_name, "Scikit_Learn");
        assert_eq!(dep.normalized_name, "scikit-learn");
        assert!(dep.constraints.is_empty() && dep.extras.is_empty());
        assert_eq!(dep.marker, None);
        assert_eq!(one("zope.interface").normalized_name, "zope-interface");
        assert_eq!(one("A-_.-b").normalized_name, "a-b");
        assert_eq!(one("x").normalized_name, "x");
        assert_eq!(one("py3").normalized_name, "py3");
    }

    #[test]
    fn blank_lines_and_comments_are_nothing() {
        nothing("");
        nothing("\n\n   \n\t\n");
        nothing("# just a comment\n   # indented comment\n#numpy==1.0");
        nothing("# a comment ending in a backslash \\\n");
        nothing("\u{feff}# byte order mark first\n");
    }

    #[test]
    fn inline_comments_need_whitespace_before_them() {
        let dep = one("numpy>=1.24 # the array library");
        assert_eq!(dep.constraints, [constraint(">=", "1.24")]);
        assert_eq!(dep.line, "numpy>=1.24");
        let dep = one("numpy\t# tab before");
        assert_eq!(dep.line, "numpy");
        let dep = one("git+https://github.com/org/pkg.git#egg=pkg # pinned fork");
        assert_eq!(dep.package_name, "pkg");
        assert_eq!(
            dep.constraints,
            [constraint(
                "@",
                "git+https://github.com/org/pkg.git#egg=pkg"
            )]
        );
    }

    #[test]
    fn continuations_join_with_one_space_and_keep_the_first_line_number() {
        let text = "first==1\nsecond \\\n  >=1, \\\n  <2\nthird\n";
        let parsed = parse_requirements(text, DependencySource::Requirements);
        assert!(parsed.unparsed.is_empty(), "{:?}", parsed.unparsed);
        let second = &parsed.dependencies[1];
        assert_eq!(second.line, "second >=1, <2");
        assert_eq!(second.line_number, 2);
        assert_eq!(
            second.constraints,
            [constraint(">=", "1"), constraint("<", "2")]
        );
        assert_eq!(parsed.dependencies[2].line_number, 5);
        // A continuation on the last line just ends there.
        assert_eq!(one("numpy \\").line, "numpy");
        // A comment line ends a continuation, as in pip.
        let parsed = parse_requirements("numpy \\\n# note\npandas", DependencySource::Requirements);
        let lines: Vec<u32> = parsed.dependencies.iter().map(|d| d.line_number).collect();
        assert_eq!(lines, [1, 3]);
    }

    #[test]
    fn crlf_line_endings_are_handled() {
        let text = "numpy==1.0\r\npandas \\\r\n  >=2\r\n\r\n# c\r\nscipy\r\n";
        let parsed = parse_requirements(text, DependencySource::Requirements);
        assert!(parsed.unparsed.is_empty(), "{:?}", parsed.unparsed);
        let found: Vec<(&str, u32, &str)> = parsed
            .dependencies
            .iter()
            .map(|d| (d.package_name.as_str(), d.line_number, d.line.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("numpy", 1, "numpy==1.0"),
                ("pandas", 2, "pandas >=2"),
                ("scipy", 6, "scipy")
            ]
        );
    }

    #[test]
    fn markers_follow_a_semicolon() {
        let dep = one("pkg>=1; python_version < \"3.8\"");
        assert_eq!(dep.constraints, [constraint(">=", "1")]);
        assert_eq!(dep.marker.as_deref(), Some("python_version < \"3.8\""));
        let dep = one("pkg ;sys_platform=='win32' and python_version>='3'");
        assert!(dep.constraints.is_empty());
        assert_eq!(
            dep.marker.as_deref(),
            Some("sys_platform=='win32' and python_version>='3'")
        );
        assert!(unparsed("pkg>=1;").contains("Nothing follows ';'"));
        assert!(unparsed("pkg>=1 ;   ").contains("Nothing follows ';'"));
    }

    #[test]
    fn hashes_and_other_per_requirement_options_are_dropped_from_constraints() {
        let dep = one("pkg==1.0 --hash=sha256:abcd --hash sha256:ef01");
        assert_eq!(dep.constraints, [constraint("==", "1.0")]);
        assert_eq!(dep.line, "pkg==1.0 --hash=sha256:abcd --hash sha256:ef01");
        let dep = one("pkg==1.0; python_version>'3' --hash=sha256:abcd");
        assert_eq!(dep.marker.as_deref(), Some("python_version>'3'"));
        let dep = one("pkg --config-settings=x=y");
        assert!(dep.constraints.is_empty());
        // Hyphens inside a name or version are not options.
        let dep = one("my-pkg==1.0-1");
        assert_eq!(dep.constraints, [constraint("==", "1.0-1")]);
    }

    #[test]
    fn extras_are_read() {
        let dep = one("pkg[a,b]>=1");
        assert_eq!(dep.extras, ["a", "b"]);
        assert_eq!(dep.constraints, [constraint(">=", "1")]);
        assert_eq!(one("pkg [ a , b ] >= 1").extras, ["a", "b"]);
        assert!(one("pkg[]").extras.is_empty());
        assert!(unparsed("pkg[a,b>=1").contains("no closing ']'"));
        assert!(unparsed("pkg[a,,b]").contains("not a valid extra"));
        assert!(unparsed("pkg[a b]").contains("not a valid extra"));
    }

    #[test]
    fn constraint_lists_with_and_without_spaces() {
        let expected = [constraint(">=", "1"), constraint("<", "2")];
        assert_eq!(one("pkg>=1,<2").constraints, expected);
        assert_eq!(one("pkg >= 1 , < 2").constraints, expected);
        assert_eq!(one("pkg (>=1,<2)").constraints, expected);
        assert_eq!(one("pkg(>=1, <2)").constraints, expected);
        assert_eq!(one("pkg ()").constraints, []);
    }

    #[test]
    fn every_operator_is_recognized() {
        for (text, op, version) in [
            ("pkg==1.0", "==", "1.0"),
            ("pkg!=1.0", "!=", "1.0"),
            ("pkg>=1.0", ">=", "1.0"),
            ("pkg<=1.0", "<=", "1.0"),
            ("pkg>1.0", ">", "1.0"),
            ("pkg<1.0", "<", "1.0"),
            ("pkg~=1.4.2", "~=", "1.4.2"),
            ("pkg===1.0-local_thing", "===", "1.0-local_thing"),
            ("pkg==1.*", "==", "1.*"),
            ("pkg!=1.4.*", "!=", "1.4.*"),
            ("pkg==2.0.0rc1", "==", "2.0.0rc1"),
            ("pkg==1!2.0.post1.dev3", "==", "1!2.0.post1.dev3"),
            ("pkg==v1.0", "==", "v1.0"),
        ] {
            assert_eq!(one(text).constraints, [constraint(op, version)], "{text}");
        }
    }

    #[test]
    fn direct_url_references() {
        let dep = one("my_pkg @ https://example.com/my_pkg-1.0.tar.gz");
        assert_eq!(dep.package_name, "my_pkg");
        assert_eq!(
            dep.constraints,
            [constraint("@", "https://example.com/my_pkg-1.0.tar.gz")]
        );
        let dep = one("pkg[x]@git+https://github.com/o/pkg.git@main");
        assert_eq!(dep.extras, ["x"]);
        assert_eq!(
            dep.constraints,
            [constraint("@", "git+https://github.com/o/pkg.git@main")]
        );
        let dep = one("pkg @ https://x.org/p.whl ; python_version >= '3.9'");
        assert_eq!(dep.marker.as_deref(), Some("python_version >= '3.9'"));
        let dep = one("pkg @ https://x.org/p.whl; os_name == 'nt'");
        assert_eq!(dep.constraints, [constraint("@", "https://x.org/p.whl")]);
        assert_eq!(dep.marker.as_deref(), Some("os_name == 'nt'"));
        let dep = one("pkg @ file:///opt/wheels/pkg.whl");
        assert_eq!(
            dep.constraints,
            [constraint("@", "file:///opt/wheels/pkg.whl")]
        );
        assert!(unparsed("pkg @").contains("no URL"));
        assert!(unparsed("pkg @ https://x.org/p.whl extra words").contains("Unexpected text"));
    }

    #[test]
    fn editable_and_bare_urls_need_an_egg_name() {
        for line in [
            "-e git+https://github.com/o/r.git#egg=tool",
            "-egit+https://github.com/o/r.git#egg=tool",
            "--editable git+https://github.com/o/r.git#egg=tool",
            "--editable=git+https://github.com/o/r.git#egg=tool",
            "git+https://github.com/o/r.git#egg=tool",
        ] {
            let dep = one(line);
            assert_eq!(dep.package_name, "tool", "{line}");
            assert_eq!(
                dep.constraints,
                [constraint("@", "git+https://github.com/o/r.git#egg=tool")],
                "{line}"
            );
            assert_eq!(dep.line, line);
        }
        let dep = one("-e ./libs/tool#egg=tool&subdirectory=python");
        assert_eq!(dep.package_name, "tool");
        let dep = one("-e git+https://x.org/r.git#egg=tool[dev,test]");
        assert_eq!(dep.extras, ["dev", "test"]);
        assert_eq!(
            dep.constraints,
            [constraint("@", "git+https://x.org/r.git#egg=tool")]
        );
        for line in [
            "-e .",
            "-e ./pkg",
            "-e ./pkg[dev]",
            "./pkg",
            "../pkg",
            "/abs/pkg",
            "~/pkg",
            "git+https://github.com/o/r.git",
            "https://example.com/pkg-1.0.tar.gz",
            "pkg-1.0-py3-none-any.whl",
            "pkg-1.0.tar.gz",
            "C:\\wheels\\pkg.whl",
            "git+https://x.org/r.git#egg=",
        ] {
            assert!(
                unparsed(line).starts_with("editable or local requirement without a package name"),
                "{line}"
            );
        }
        assert!(unparsed("-e").contains("needs a path or URL"));
        assert!(
            unparsed("git+https://x.org/r.git#egg=%%")
                .contains("does not give a valid package name")
        );
    }

    #[test]
    fn global_options_are_skipped_silently() {
        nothing(
            "-r other.txt\n--requirement other.txt\n-rother.txt\n-c constraints.txt\n\
             --constraint=constraints.txt\n-i https://pypi.org/simple\n--index-url https://x\n\
             --extra-index-url https://y\n--no-index\n-f ./wheels\n--find-links=https://z\n--pre\n\
             --no-binary :all:\n--only-binary=:none:\n--prefer-binary\n--require-hashes\n\
             --trusted-host pypi.example.com\n--use-feature=truststore\n--hash=sha256:abc\n",
        );
        assert!(unparsed("--frobnicate").contains("'--frobnicate' is not an option"));
        assert!(unparsed("-x foo").contains("'-x' is not an option"));
    }

    #[test]
    fn invalid_lines_are_reported_with_reasons() {
        for (line, expected) in [
            ("%%%", "does not start with a package name"),
            ("[extra]", "does not start with a package name"),
            ("pkg==", "'==' has no version"),
            ("pkg>=1,", "empty constraint"),
            ("pkg>=1,,<2", "empty constraint"),
            ("pkg=>1", "Did you mean '>='"),
            ("pkg=<1", "Did you mean '<='"),
            ("pkg=1.0", "Did you mean '=='"),
            ("pkg 1.0", "does not start with a comparison"),
            ("numpy pandas", "does not start with a comparison"),
            ("pkg>=1.0 <2", "Separate constraints with commas"),
            ("pkg>=1.*", "'*' where it is not allowed"),
            ("pkg==1.*.2", "'*' where it is not allowed"),
            ("pkg==@1", "not a version"),
            ("pkg (>=1", "no closing ')'"),
            ("_pkg", "not a valid package name"),
            ("pkg-", "not a valid package name"),
            ("pkg\u{7}==1", "control character"),
        ] {
            let reason = unparsed(line);
            assert!(reason.contains(expected), "{line:?}: {reason}");
        }
    }

    #[test]
    fn unparsed_lines_keep_their_text_number_and_source() {
        let parsed = parse_requirements("numpy\n\n%%%  # bad\n", DependencySource::PipPackages);
        assert_eq!(parsed.dependencies.len(), 1);
        let bad = &parsed.unparsed[0];
        assert_eq!(bad.line, "%%%");
        assert_eq!(bad.line_number, 3);
        assert_eq!(bad.source, DependencySource::PipPackages);
        assert!(!bad.reason.is_empty());
    }

    #[test]
    fn lines_beyond_the_limit_are_ignored_with_one_note() {
        let mut text = "pkg\n".repeat(MAX_REQUIREMENT_LINES);
        let parsed = parse_requirements(&text, DependencySource::Requirements);
        assert_eq!(parsed.dependencies.len(), MAX_REQUIREMENT_LINES);
        assert!(parsed.unparsed.is_empty());

        text.push_str("extra1\nextra2\n");
        let parsed = parse_requirements(&text, DependencySource::Requirements);
        assert_eq!(parsed.dependencies.len(), MAX_REQUIREMENT_LINES);
        assert_eq!(parsed.unparsed.len(), 1);
        assert_eq!(parsed.unparsed[0].line_number, 10_001);
        assert!(parsed.unparsed[0].reason.contains("2 more were ignored"));
    }

    #[test]
    fn pip_packages_are_single_lines_numbered_from_one() {
        let packages: Vec<String> = [
            "numpy>=1.24",
            "",
            "pandas  # comment",
            "--extra-index-url https://x",
            "bad==",
            "torch\n==2.0",
        ]
        .map(str::to_owned)
        .to_vec();
        let parsed = parse_pip_packages(&packages);
        let found: Vec<(&str, u32, &str)> = parsed
            .dependencies
            .iter()
            .map(|d| (d.package_name.as_str(), d.line_number, d.line.as_str()))
            .collect();
        assert_eq!(
            found,
            [("numpy", 1, "numpy>=1.24"), ("pandas", 3, "pandas")]
        );
        assert!(
            parsed
                .dependencies
                .iter()
                .all(|d| d.source == DependencySource::PipPackages)
        );
        let bad: Vec<u32> = parsed.unparsed.iter().map(|u| u.line_number).collect();
        assert_eq!(bad, [5, 6]);
        assert!(parsed.unparsed[1].reason.contains("own entry"));

        let many = vec!["pkg".to_owned(); MAX_REQUIREMENT_LINES + 3];
        let parsed = parse_pip_packages(&many);
        assert_eq!(parsed.dependencies.len(), MAX_REQUIREMENT_LINES);
        assert!(parsed.unparsed[0].reason.contains("3 more were ignored"));
    }

    #[test]
    fn merge_appends_both_lists() {
        let mut all = parse_requirements("numpy\n%%%", DependencySource::Requirements);
        all.merge(parse_pip_packages(&[
            "pandas".to_owned(),
            "bad==".to_owned(),
        ]));
        let names: Vec<&str> = all
            .dependencies
            .iter()
            .map(|d| d.package_name.as_str())
            .collect();
        assert_eq!(names, ["numpy", "pandas"]);
        let sources: Vec<&DependencySource> = all.unparsed.iter().map(|u| &u.source).collect();
        assert_eq!(
            sources,
            [
                &DependencySource::Requirements,
                &DependencySource::PipPackages
            ]
        );
    }

    #[test]
    fn serializes_with_snake_case_sources() {
        let parsed = parse_pip_packages(&["numpy==1.0".to_owned()]);
        let json = serde_json::to_value(&parsed).expect("serializes");
        assert_eq!(json["dependencies"][0]["source"], "pip_packages");
        assert_eq!(
            json["dependencies"][0]["constraints"][0]["constraint_type"],
            "=="
        );
        let back: Dependencies = serde_json::from_value(json).expect("deserializes");
        assert_eq!(back, parsed);
    }
}
