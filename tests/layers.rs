//! The source tree's layers, read from its `crate::` and `super::` paths: each top-level module
//! uses only the ones below it, and no two modules use each other, directly or round a loop.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

/// What each top-level module may use. Anything else is an arrow pointing up.
const MAY_USE: [(&str, &[&str]); 8] = [
    ("domain", &[]),
    ("server", &["domain"]),
    ("api", &["domain", "server"]),
    ("components", &["domain", "api"]),
    ("pages", &["domain", "api", "components"]),
    ("app", &["domain", "api", "components", "pages"]),
    ("router", &["domain", "server", "app"]),
    ("cli", &["domain", "server", "router"]),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).expect("the source folder is readable");
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/server/services/versions/mod.rs` is `server::services::versions`.
fn module_of(src: &Path, file: &Path) -> Module {
    let relative = file
        .strip_prefix(src)
        .expect("below src")
        .with_extension("");
    let mut parts: Module = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The code of a file without comments and without its unit tests (they may reach anywhere).
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests {") {
        Some(cut) => &text[..cut],
        None => text,
    };
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The modules a file's code names, as absolute paths (`crate::a::b`, `super::c`). A path
/// may end in an item rather than a module; the checks below only compare prefixes.
fn named_paths(module: &[String], code: &str) -> Vec<Module> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    for (at, _) in code
        .match_indices("crate::")
        .chain(code.match_indices("super::"))
    {
        if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
            continue;
        }
        if at >= 2 && &code[at - 2..at] == "::" {
            continue;
        }
        let path: Vec<&str> = code[at..]
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .next()
            .unwrap_or_default()
            .split("::")
            .filter(|s| !s.is_empty())
            .collect();
        // `super` of `a::b` is `a`, whether the file is `a/b.rs` or `a/b/mod.rs`.
        let mut base: Module = match path.first() {
            Some(&"crate") => Vec::new(),
            _ => module.to_vec(),
        };
        let mut rest = &path[..];
        if rest.first() == Some(&"crate") {
            rest = &rest[1..];
        }
        while rest.first() == Some(&"super") {
            base.pop();
            rest = &rest[1..];
        }
        base.extend(
            rest.iter()
                .take_while(|s| s.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
                .map(|s| (*s).to_owned()),
        );
        found.push(base);
    }
    found
}

/// Every module's uses of other modules, each cut to the first segment where the two differ:
/// `server::services::models` using `server::audit::record` is the sibling edge
/// `server::services` → `server::audit`. A module using its own parent or child is no edge.
fn sibling_edges() -> BTreeMap<Module, BTreeSet<Module>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(
        files.len() > 50,
        "read the source tree: {} files",
        files.len()
    );
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for file in &files {
        let module = module_of(&src, file);
        if module
            .last()
            .is_some_and(|m| m == "tests" || m.starts_with("test_"))
        {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("a source file is readable");
        for target in named_paths(&module, &code_of(&text)) {
            let common = module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            if common < module.len() && common < target.len() {
                edges
                    .entry(module[..=common].to_vec())
                    .or_default()
                    .insert(target[..=common].to_vec());
            }
        }
    }
    edges
}

#[test]
fn each_layer_uses_only_those_below_it() {
    let edges = sibling_edges();
    let allowed: BTreeMap<&str, &[&str]> = MAY_USE.into_iter().collect();
    let mut upward = Vec::new();
    for (from, targets) in edges.iter().filter(|(from, _)| from.len() == 1) {
        let Some(may) = allowed.get(from[0].as_str()) else {
            upward.push(format!("{} is not in MAY_USE", from[0]));
            continue;
        };
        for target in targets {
            if !may.contains(&target[0].as_str()) {
                upward.push(format!("{} uses {}", from[0], target[0]));
            }
        }
    }
    assert!(
        edges.keys().any(|m| m == &["pages".to_owned()]),
        "found the pages' uses"
    );
    assert!(upward.is_empty(), "arrows pointing up: {upward:#?}");
}

#[test]
fn no_modules_use_each_other() {
    let edges = sibling_edges();
    // Tarjan's strongly connected components: a component of more than one module is a loop.
    struct Walk<'a> {
        edges: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        loops: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a Module) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            for w in self.edges.get(v).into_iter().flatten() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.stack.contains(&w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    component.push(w.join("::"));
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    self.loops.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        edges: &edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        loops: Vec::new(),
    };
    for v in edges.keys() {
        if !walk.index.contains_key(v) {
            walk.visit(v);
        }
    }
    assert!(edges.len() > 20, "found the modules' uses: {}", edges.len());
    assert!(
        walk.loops.is_empty(),
        "modules that use each other: {:#?}",
        walk.loops
    );
}
