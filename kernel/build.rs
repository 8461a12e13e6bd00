//! Links the kernel with its own layout (see linker.ld) and packs the user programs.
//!
//! `MOHHOS_USER_PROGRAMS` (set by `cargo xtask`) names a directory with one ELF file
//! per user program (file name = program name); `$OUT_DIR/user_programs.rs` lists them
//! as `PROGRAMS`, embedded with `include_bytes!`. Unset (a plain `cargo clippy`), the
//! list is empty.
use std::path::Path;
use std::{env, fs};

fn main() {
    let dir = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rustc-link-arg-bins=-T{dir}/linker.ld");
    println!("cargo:rustc-link-arg-bins=-zmax-page-size=0x1000");
    println!("cargo:rustc-link-arg-bins=--no-pie");
    println!("cargo:rerun-if-changed=linker.ld");
    println!("cargo:rerun-if-env-changed=MOHHOS_USER_PROGRAMS");
    let mut programs = Vec::new();
    if let Ok(programs_dir) = env::var("MOHHOS_USER_PROGRAMS") {
        println!("cargo:rerun-if-changed={programs_dir}");
        let entries = fs::read_dir(&programs_dir)
            .unwrap_or_else(|e| panic!("MOHHOS_USER_PROGRAMS={programs_dir}: {e}"));
        for entry in entries {
            let path = entry.expect("readable directory entry").path();
            if path.is_file() {
                println!("cargo:rerun-if-changed={}", path.display());
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .expect("program names are UTF-8")
                    .to_owned();
                programs.push((name, path));
            }
        }
    }
    programs.sort();
    let mut list = String::from("pub static PROGRAMS: &[(&str, &[u8])] = &[\n");
    for (name, path) in &programs {
        list.push_str(&format!(
            "    ({name:?}, include_bytes!({:?})),\n",
            path.display().to_string()
        ));
    }
    list.push_str("];\n");
    let out = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    fs::write(Path::new(&out).join("user_programs.rs"), list).expect("OUT_DIR is writable");
}
