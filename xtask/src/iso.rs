//! The GRUB ISO: `target/mohhos.iso`, bootable on BIOS and UEFI machines, QEMU `-cdrom`
//! (also with OVMF) and Bochs. GRUB loads the kernel with `multiboot2`, which passes the
//! memory map and the ACPI RSDP on UEFI machines too.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Result;
use crate::install;
use crate::kernel::{self, Flavor};

/// GRUB's configuration: boot MOHHOS at once, GRUB's menu on the console only so that
/// the serial line carries nothing but the kernel.
const GRUB_CFG: &str = "\
set timeout=0
set default=0
insmod all_video
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output console
menuentry \"MOHHOS\" {
    multiboot2 /boot/mohhos
    boot
}
";

/// Installs the tools, builds the kernel and the ISO; returns the ISO's path.
pub fn build_from_scratch() -> Result<PathBuf> {
    install::rust_target()?;
    install::iso_tools()?;
    let elf = kernel::build(Flavor::Normal)?;
    build(&elf)
}

/// Builds `target/mohhos.iso` around the kernel `elf`; returns its absolute path.
pub fn build(elf: &Path) -> Result<PathBuf> {
    let tree = Path::new("target/iso");
    let iso = Path::new("target/mohhos.iso");
    let _ = fs::remove_dir_all(tree);
    let grub = tree.join("boot/grub");
    fs::create_dir_all(&grub).map_err(|e| format!("creating {}: {e}", grub.display()))?;
    fs::copy(elf, tree.join("boot/mohhos")).map_err(|e| format!("copying the kernel: {e}"))?;
    fs::write(grub.join("grub.cfg"), GRUB_CFG).map_err(|e| format!("writing grub.cfg: {e}"))?;
    let out = Command::new("grub-mkrescue")
        .arg("-o")
        .arg(iso)
        .arg(tree)
        .output()
        .map_err(|e| format!("cannot start grub-mkrescue: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "grub-mkrescue failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    fs::canonicalize(iso).map_err(|e| format!("{}: {e}", iso.display()))
}
