//! The user programs packed into the kernel image by the build (`kernel/build.rs`).

include!(concat!(env!("OUT_DIR"), "/user_programs.rs"));

/// The ELF file of program `name`.
pub fn find(name: &str) -> Option<&'static [u8]> {
    PROGRAMS
        .iter()
        .find(|(program, _)| *program == name)
        .map(|(_, file)| *file)
}

/// Every program's name, sorted.
pub fn names() -> impl Iterator<Item = &'static str> {
    PROGRAMS.iter().map(|(name, _)| *name)
}
