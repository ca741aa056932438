//! `modelyard-site INPUT.wasm OUT_DIR NAME`: writes `NAME.js` and `NAME.wasm` into `OUT_DIR`, the
//! browser bundle the server's pages load (`/pkg/NAME.js`, which fetches `/pkg/NAME.wasm`).
//!
//! It does what `wasm-bindgen --target web` does, through the same library, so the build needs
//! no separately installed command-line tool (whose version would have to match Cargo.lock).

use anyhow::Context;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, out_dir, name] = args.as_slice() else {
        eprintln!("usage: modelyard-site INPUT.wasm OUT_DIR NAME");
        return ExitCode::from(2);
    };
    match generate(Path::new(input), Path::new(out_dir), name) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("modelyard-site: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn generate(input: &Path, out_dir: &Path, name: &str) -> anyhow::Result<()> {
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
