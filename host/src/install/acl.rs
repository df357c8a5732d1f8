//! Windows: the machine-wide folder FactorCat keeps its manifests in
//! (`%ProgramData%\FactorCat`) is made writable by administrators and
//! SYSTEM only.
//!
//! `%ProgramData%` lets every user create folders, and its subfolders
//! inherit an entry that lets users add files, so a folder made with the
//! defaults would let any user change (or pre-create) what every user's
//! browser starts. So an install for every user:
//!
//! 1. refuses the folder when it is a link (junction or symbolic link), or
//!    when its owner is not the Administrators group or SYSTEM (a user made
//!    it first);
//! 2. creates it, if missing, with its security descriptor in the same
//!    call: owner Administrators; a protected DACL (nothing inherited from
//!    `%ProgramData%`) granting full control to SYSTEM and Administrators
//!    and read and execute to Users, inherited by everything below;
//! 3. otherwise sets that owner and DACL on the existing folder, which
//!    passes the inheritable entries on to what is below it;
//! 4. then refuses anything below the folder that is a link or not owned by
//!    Administrators or SYSTEM. After step 3 no user can add anything
//!    there, so this check cannot be raced.
//!
//! Reviewed, and checked with `cargo check --target x86_64-pc-windows-gnu`;
//! it has not been run on Windows.

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::fs::MetadataExt;
use std::path::Path;
use std::ptr;

use windows_sys::Win32::Foundation::{
    ERROR_ALREADY_EXISTS, ERROR_SUCCESS, GetLastError, HLOCAL, LocalFree,
};
use windows_sys::Win32::Security::Authorization::{
    ConvertStringSecurityDescriptorToSecurityDescriptorW, GetNamedSecurityInfoW, SDDL_REVISION_1,
    SE_FILE_OBJECT, SetNamedSecurityInfoW,
};
use windows_sys::Win32::Security::{
    ACL, DACL_SECURITY_INFORMATION, GetSecurityDescriptorDacl, GetSecurityDescriptorOwner,
    IsWellKnownSid, OWNER_SECURITY_INFORMATION, PROTECTED_DACL_SECURITY_INFORMATION,
    PSECURITY_DESCRIPTOR, PSID, SECURITY_ATTRIBUTES, WinBuiltinAdministratorsSid,
    WinLocalSystemSid,
};
use windows_sys::Win32::Storage::FileSystem::{CreateDirectoryW, FILE_ATTRIBUTE_REPARSE_POINT};

use super::InstallError;

/// Owner Administrators; protected DACL: SYSTEM and Administrators full
/// control, Users read and execute (`FILE_GENERIC_READ |
/// FILE_GENERIC_EXECUTE`), each inherited by files and folders below.
const FOLDER_SDDL: &str = "O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)";

/// A security descriptor the system allocated; freed on drop.
struct Descriptor(PSECURITY_DESCRIPTOR);

impl Drop for Descriptor {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the pointer came from a system call that allocates
            // with LocalAlloc, and is freed once.
            unsafe { LocalFree(self.0 as HLOCAL) };
        }
    }
}

fn wide(text: &OsStr) -> Vec<u16> {
    text.encode_wide().chain(Some(0)).collect()
}

fn win32(code: u32) -> io::Error {
    io::Error::from_raw_os_error(code as i32)
}

/// The folder's security descriptor, from [`FOLDER_SDDL`].
fn folder_descriptor() -> io::Result<Descriptor> {
    let sddl = wide(OsStr::new(FOLDER_SDDL));
    let mut sd: PSECURITY_DESCRIPTOR = ptr::null_mut();
    // SAFETY: `sddl` is NUL-terminated and outlives the call; `sd` receives
    // an allocation that `Descriptor` frees.
    let ok = unsafe {
        ConvertStringSecurityDescriptorToSecurityDescriptorW(
            sddl.as_ptr(),
            SDDL_REVISION_1,
            &mut sd,
            ptr::null_mut(),
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Descriptor(sd))
}

/// Whether the owner of `path` is the Administrators group or SYSTEM.
fn owned_by_administrators(path: &Path) -> io::Result<bool> {
    let name = wide(path.as_os_str());
    let mut owner: PSID = ptr::null_mut();
    let mut sd: PSECURITY_DESCRIPTOR = ptr::null_mut();
    // SAFETY: `name` is NUL-terminated; `owner` points into `sd`, which is
    // kept alive (and then freed) by `Descriptor` while `owner` is used.
    let status = unsafe {
        GetNamedSecurityInfoW(
            name.as_ptr(),
            SE_FILE_OBJECT,
            OWNER_SECURITY_INFORMATION,
            &mut owner,
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
            &mut sd,
        )
    };
    if status != ERROR_SUCCESS {
        return Err(win32(status));
    }
    let _sd = Descriptor(sd);
    if owner.is_null() {
        return Ok(false);
    }
    // SAFETY: `owner` is a valid SID inside `_sd`.
    let trusted = unsafe {
        IsWellKnownSid(owner, WinBuiltinAdministratorsSid) != 0
            || IsWellKnownSid(owner, WinLocalSystemSid) != 0
    };
    Ok(trusted)
}

fn is_link(meta: &fs::Metadata) -> bool {
    meta.file_attributes() & FILE_ATTRIBUTE_REPARSE_POINT != 0
}

/// Checks one existing entry: not a link, owned by administrators.
fn check_entry(path: &Path, meta: &fs::Metadata) -> Result<(), InstallError> {
    let untrusted = |why| InstallError::UntrustedSystemFolder {
        path: path.to_path_buf(),
        why,
    };
    if is_link(meta) {
        return Err(untrusted("is a link (a junction or symbolic link)"));
    }
    let admin = owned_by_administrators(path).map_err(InstallError::io(
        "reading the owner of",
        path.display().to_string(),
        true,
    ))?;
    if !admin {
        return Err(untrusted(
            "belongs to an account that is not an administrator",
        ));
    }
    Ok(())
}

/// Everything below `dir`, checked with [`check_entry`].
fn check_below(dir: &Path) -> Result<(), InstallError> {
    let io = |p: &Path| InstallError::io("reading", p.display().to_string(), true);
    for entry in fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        let meta = fs::symlink_metadata(&path).map_err(io(&path))?;
        check_entry(&path, &meta)?;
        if meta.is_dir() {
            check_below(&path)?;
        }
    }
    Ok(())
}

/// Makes `folder` (`%ProgramData%\FactorCat`) writable by administrators
/// and SYSTEM only, creating it if needed, and checks what it holds (see
/// the module's comment).
pub(super) fn protect_system_folder(folder: &Path) -> Result<(), InstallError> {
    let io = |action| InstallError::io(action, folder.display().to_string(), true);
    let descriptor = folder_descriptor().map_err(io("preparing the permissions of"))?;
    let name = wide(folder.as_os_str());
    let created = match fs::symlink_metadata(folder) {
        Ok(meta) => {
            check_entry(folder, &meta)?;
            false
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let attributes = SECURITY_ATTRIBUTES {
                nLength: size_of::<SECURITY_ATTRIBUTES>() as u32,
                lpSecurityDescriptor: descriptor.0,
                bInheritHandle: 0,
            };
            // SAFETY: `name` is NUL-terminated; `attributes` and the
            // descriptor it points to outlive the call.
            if unsafe { CreateDirectoryW(name.as_ptr(), &attributes) } == 0 {
                // SAFETY: reads this thread's last error.
                let code = unsafe { GetLastError() };
                if code == ERROR_ALREADY_EXISTS {
                    // Someone made it between the look and the creation.
                    return Err(InstallError::UntrustedSystemFolder {
                        path: folder.to_path_buf(),
                        why: "appeared while FactorCat was creating it",
                    });
                }
                return Err(io("creating")(win32(code)));
            }
            true
        }
        Err(e) => return Err(io("reading")(e)),
    };
    if !created {
        let mut present = 0;
        let mut defaulted = 0;
        let mut dacl: *mut ACL = ptr::null_mut();
        let mut owner: PSID = ptr::null_mut();
        // SAFETY: the descriptor is valid; `dacl` and `owner` point into it
        // and are used while it lives.
        let ok = unsafe {
            GetSecurityDescriptorDacl(descriptor.0, &mut present, &mut dacl, &mut defaulted) != 0
                && GetSecurityDescriptorOwner(descriptor.0, &mut owner, &mut defaulted) != 0
        };
        if !ok {
            return Err(io("preparing the permissions of")(
                io::Error::last_os_error(),
            ));
        }
        // SAFETY: `name` is NUL-terminated; `owner` and `dacl` are valid
        // (see above).
        let status = unsafe {
            SetNamedSecurityInfoW(
                name.as_ptr(),
                SE_FILE_OBJECT,
                OWNER_SECURITY_INFORMATION
                    | DACL_SECURITY_INFORMATION
                    | PROTECTED_DACL_SECURITY_INFORMATION,
                owner,
                ptr::null_mut(),
                dacl,
                ptr::null(),
            )
        };
        if status != ERROR_SUCCESS {
            return Err(io("setting the permissions of")(win32(status)));
        }
    }
    check_below(folder)
}
