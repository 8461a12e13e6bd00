//! Links every user program with `link.ld`: a static ELF64 executable at 0x40_0000 whose
//! text (R X), rodata (R) and data + bss (RW) are separate page-aligned PT_LOAD segments.
fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rustc-link-arg-bins=-T{dir}/link.ld");
    println!("cargo:rustc-link-arg-bins=--no-pie");
    println!("cargo:rustc-link-arg-bins=-zmax-page-size=0x1000");
    println!("cargo:rerun-if-changed=link.ld");
}
