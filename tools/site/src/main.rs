//! The build steps of Modelyard's browser bundles that need more than a shell:
//!
//! - `modelyard-site bindgen INPUT.wasm OUT_DIR NAME` writes `NAME.js` and `NAME.wasm` into
//!   `OUT_DIR`, a bundle the pages load (`/pkg/NAME.js`, which fetches `/pkg/NAME.wasm`). It
//!   does what `wasm-bindgen --target web` does, through the same library, so the build needs no
//!   separately installed command-line tool (whose version would have to match Cargo.lock).
//! - `modelyard-site seal PKG_DIR NAME` gives the site's files (`NAME.css` and each bundle's
//!   `NAME-<bundle>.js` and `.wasm`) one name that changes with their content, `NAME-<hash>` in
//!   place of `NAME` (`NAME-<hash>.css`, `NAME-<hash>-main.js`), so browsers may keep them for
//!   good, writes that name to `PKG_DIR/manifest.json` for the server, and puts a brotli (`.br`)
//!   and a gzip (`.gz`) copy beside each file for the server to send as they are.

use anyhow::Context;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let done = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["bindgen", input, out_dir, name] => bindgen(Path::new(input), Path::new(out_dir), name),
        ["seal", pkg_dir, name] => seal(Path::new(pkg_dir), name),
        _ => {
            eprintln!(
                "usage: modelyard-site bindgen INPUT.wasm OUT_DIR NAME | modelyard-site seal PKG_DIR NAME"
            );
            return ExitCode::from(2);
        }
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("modelyard-site: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn bindgen(input: &Path, out_dir: &Path, name: &str) -> anyhow::Result<()> {
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(input)
        .out_name(name)
        .web(true)?
        .typescript(false)
        // As the command-line tool does: the script also knows where its WASM file is.
        .omit_default_module_path(false)
        .generate(out_dir)?;
    // The generated module is `NAME_bg.wasm`; the pages ask for `NAME.wasm`.
    let generated: PathBuf = out_dir.join(format!("{name}_bg.wasm"));
    let served = out_dir.join(format!("{name}.wasm"));
    std::fs::rename(&generated, &served)
        .with_context(|| format!("renaming {} to {}", generated.display(), served.display()))
}

fn seal(pkg_dir: &Path, name: &str) -> anyhow::Result<()> {
    let mut parts = Vec::new();
    for entry in
        std::fs::read_dir(pkg_dir).with_context(|| format!("listing {}", pkg_dir.display()))?
    {
        let file_name = entry?.file_name();
        let Some(rest) = file_name.to_str().and_then(|f| f.strip_prefix(name)) else {
            continue;
        };
        if rest.starts_with(['.', '-']) {
            parts.push(rest.to_owned());
        }
    }
    // The stylesheet and at least one bundle's script and module.
    for ext in [".css", ".js", ".wasm"] {
        anyhow::ensure!(
            parts.iter().any(|p| p.ends_with(ext)),
            "no {name}*{ext} in {}",
            pkg_dir.display()
        );
    }
    parts.sort();
    let mut digest = Sha256::new();
    let mut contents = Vec::new();
    for rest in parts {
        let path = pkg_dir.join(format!("{name}{rest}"));
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        digest.update((rest.len() as u64).to_le_bytes());
        digest.update(rest.as_bytes());
        digest.update((bytes.len() as u64).to_le_bytes());
        digest.update(&bytes);
        contents.push((rest, path, bytes));
    }
    let hash = hex::encode(&digest.finalize()[..8]);
    let sealed = format!("{name}-{hash}");
    for (rest, path, bytes) in contents {
        let target = pkg_dir.join(format!("{sealed}{rest}"));
        std::fs::rename(&path, &target)
            .with_context(|| format!("renaming {} to {}", path.display(), target.display()))?;
        compress(&target, &bytes)?;
    }
    let manifest = format!("{{\"name\": \"{sealed}\"}}\n");
    std::fs::write(pkg_dir.join("manifest.json"), manifest).context("writing manifest.json")?;
    println!("{sealed}");
    Ok(())
}

/// Writes `PATH.br` and `PATH.gz` beside `path`, each at its strongest setting.
fn compress(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let with_ext = |ext: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(ext);
        PathBuf::from(name)
    };
    let mut brotli = Vec::new();
    {
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 22,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut &bytes[..], &mut brotli, &params).context("brotli")?;
    }
    std::fs::write(with_ext(".br"), brotli).context("writing the brotli copy")?;
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gzip.write_all(bytes)?;
    std::fs::write(with_ext(".gz"), gzip.finish()?).context("writing the gzip copy")?;
    Ok(())
}
