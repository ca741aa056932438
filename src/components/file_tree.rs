//! A version's files as folders and files, built from their relative paths; plus the small
//! formatting rules (sizes, download addresses) every page listing files shares.

use crate::domain::model_check::{CheckStatus, ModelCheck};
use crate::domain::version::VersionFile;
use leptos::prelude::*;

/// A size as people read it: `512 B`, `1.5 KB`, `3.2 MB` (powers of 1024).
pub fn format_bytes(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["KB", "MB", "GB", "TB", "PB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters, for one segment of a path
/// or one query value.
pub fn encode_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Percent-encodes each segment of a relative path for a URL, keeping the '/' between them.
pub fn encode_path(path: &str) -> String {
    path.split('/')
        .map(encode_component)
        .collect::<Vec<_>>()
        .join("/")
}

/// `/api/v1/models/{m}/versions/{v}/files/{path}`, each path segment encoded.
pub fn file_download_href(model: &str, version: &str, path: &str) -> String {
    format!(
        "/api/v1/models/{model}/versions/{version}/files/{}",
        encode_path(path)
    )
}

/// One entry of the tree: a folder with what it holds, or a file.
#[derive(Clone, Debug, PartialEq)]
pub enum TreeNode {
    Folder {
        name: String,
        path: String,
        size: i64,
        children: Vec<TreeNode>,
    },
    File {
        name: String,
        file: VersionFile,
    },
}

impl TreeNode {
    fn name(&self) -> &str {
        match self {
            TreeNode::Folder { name, .. } | TreeNode::File { name, .. } => name,
        }
    }

    fn size(&self) -> i64 {
        match self {
            TreeNode::Folder { size, .. } => *size,
            TreeNode::File { file, .. } => file.size,
        }
    }
}

/// Folders first, then files, each by name; a folder's size is the sum of what it holds.
pub fn build_tree(files: &[VersionFile]) -> Vec<TreeNode> {
    fn insert(nodes: &mut Vec<TreeNode>, prefix: &str, parts: &[&str], file: &VersionFile) {
        match parts {
            [] => {}
            [name] => nodes.push(TreeNode::File {
                name: (*name).to_owned(),
                file: file.clone(),
            }),
            [folder, rest @ ..] => {
                let path = if prefix.is_empty() {
                    (*folder).to_owned()
                } else {
                    format!("{prefix}/{folder}")
                };
                let position = nodes.iter().position(
                    |n| matches!(n, TreeNode::Folder { name, .. } if name.as_str() == *folder),
                );
                let index = match position {
                    Some(i) => i,
                    None => {
                        nodes.push(TreeNode::Folder {
                            name: (*folder).to_owned(),
                            path: path.clone(),
                            size: 0,
                            children: Vec::new(),
                        });
                        nodes.len() - 1
                    }
                };
                if let TreeNode::Folder { size, children, .. } = &mut nodes[index] {
                    *size += file.size;
                    insert(children, &path, rest, file);
                }
            }
        }
    }
    fn sort(nodes: &mut [TreeNode]) {
        nodes.sort_by(|a, b| {
            let folder = |n: &TreeNode| matches!(n, TreeNode::File { .. });
            folder(a)
                .cmp(&folder(b))
                .then_with(|| a.name().cmp(b.name()))
        });
        for n in nodes {
            if let TreeNode::Folder { children, .. } = n {
                sort(children);
            }
        }
    }
    let mut nodes = Vec::new();
    for file in files {
        let parts: Vec<&str> = file.path.split('/').filter(|p| !p.is_empty()).collect();
        insert(&mut nodes, "", &parts, file);
    }
    sort(&mut nodes);
    nodes
}

/// The files of a version as a tree of folders (disclosures, open) and files. Each file links to
/// its preview (`preview_href(path)`) and to its download.
#[component]
pub fn FileTree(
    model: String,
    version: String,
    files: Vec<VersionFile>,
    selected: Option<String>,
    preview_href: Callback<String, String>,
) -> impl IntoView {
    if files.is_empty() {
        return view! { <p class="empty">"This version has no files."</p> }.into_any();
    }
    let tree = build_tree(&files);
    let context = TreeContext {
        model,
        version,
        selected,
        preview_href,
    };
    view! {
        <div class="rounded-lg border border-slate-200 bg-white p-3 text-sm" data-testid="file-tree">
            {render_nodes(tree, &context)}
        </div>
    }
    .into_any()
}

struct TreeContext {
    model: String,
    version: String,
    selected: Option<String>,
    preview_href: Callback<String, String>,
}

fn render_nodes(nodes: Vec<TreeNode>, context: &TreeContext) -> AnyView {
    view! {
        <ul class="space-y-1">
            {nodes.into_iter().map(|node| render_node(node, context)).collect_view()}
        </ul>
    }
    .into_any()
}

/// What checking a model file found, as a short badge with the full message on hover.
fn model_check_badge(check: ModelCheck) -> AnyView {
    let (label, class) = match check.status {
        CheckStatus::Ok => (
            "runs here",
            "rounded-full px-2 py-0.5 bg-emerald-50 text-emerald-800",
        ),
        CheckStatus::Unsupported => (
            "unsupported",
            "rounded-full px-2 py-0.5 bg-amber-50 text-amber-900",
        ),
        CheckStatus::Invalid => (
            "not a valid model",
            "rounded-full px-2 py-0.5 bg-rose-50 text-rose-800",
        ),
        CheckStatus::NotChecked => (
            "not checked",
            "rounded-full px-2 py-0.5 bg-slate-100 text-slate-700",
        ),
    };
    let detail = if check.unsupported_operators.is_empty() {
        check.message.clone()
    } else {
        format!("Lacks: {}", check.unsupported_operators.join(", "))
    };
    view! {
        <span class=format!("shrink-0 text-xs {class}") title=check.message data-model-check=label>
            {label}
        </span>
        {(check.status == CheckStatus::Unsupported)
            .then(|| view! { <span class="shrink-0 text-xs text-amber-900">{detail}</span> })}
    }
    .into_any()
}

fn render_node(node: TreeNode, context: &TreeContext) -> AnyView {
    let size = format_bytes(node.size());
    match node {
        TreeNode::Folder {
            name,
            path,
            children,
            ..
        } => view! {
            <li>
                <details open>
                    <summary class="cursor-pointer rounded px-1 hover:bg-slate-50" title=path>
                        <span class="font-medium">{format!("{name}/")}</span>
                        <span class="ml-2 text-slate-500">{size}</span>
                    </summary>
                    <div class="ml-5 border-l border-slate-200 pl-3">{render_nodes(children, context)}</div>
                </details>
            </li>
        }
        .into_any(),
        TreeNode::File { name, file } => {
            let current = context.selected.as_deref() == Some(file.path.as_str());
            let preview = context.preview_href.run(file.path.clone());
            let download = file_download_href(&context.model, &context.version, &file.path);
            let check = file.model_check.clone().map(model_check_badge);
            view! {
                <li class="flex items-center gap-3 rounded px-1 hover:bg-slate-50">
                    <a
                        href=preview
                        class="link grow break-all"
                        class:font-semibold=current
                        aria-current=current.then_some("true")
                        title=format!("Preview {}", file.path)
                    >
                        {name}
                    </a>
                    {check}
                    <span class="shrink-0 text-slate-500">{size}</span>
                    <a
                        href=download
                        download
                        class="shrink-0 text-xs link"
                        aria-label=format!("Download {}", file.path)
                    >
                        "Download"
                    </a>
                </li>
            }
            .into_any()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, size: i64) -> VersionFile {
        VersionFile {
            path: path.to_owned(),
            size,
            sha256: String::new(),
            content_type: String::new(),
            model_check: None,
        }
    }

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(format_bytes(0), "0 B");
        assert_eq!(format_bytes(1023), "1023 B");
        assert_eq!(format_bytes(1536), "1.5 KB");
        assert_eq!(format_bytes(20 * 1024 * 1024), "20 MB");
    }

    #[test]
    fn file_addresses_encode_each_segment() {
        assert_eq!(
            file_download_href("m", "1.0.0", "data/my file#1.csv"),
            "/api/v1/models/m/versions/1.0.0/files/data/my%20file%231.csv"
        );
        assert_eq!(encode_component("a/b?c"), "a%2Fb%3Fc");
    }

    #[test]
    fn folders_come_first_and_sum_their_files() {
        let tree = build_tree(&[
            file("model.onnx", 10),
            file("src/train.py", 3),
            file("src/lib/util.py", 2),
            file("README.md", 1),
        ]);
        let names: Vec<&str> = tree.iter().map(TreeNode::name).collect();
        assert_eq!(names, ["src", "README.md", "model.onnx"]);
        let TreeNode::Folder { size, children, .. } = &tree[0] else {
            panic!("src is a folder");
        };
        assert_eq!(*size, 5);
        assert_eq!(children.len(), 2);
        assert!(matches!(&children[0], TreeNode::Folder { path, .. } if path == "src/lib"));
    }
}
