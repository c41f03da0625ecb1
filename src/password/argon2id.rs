//! Argon2 at the hardware's limit: the lanes of one hash run in parallel (the `argon2` crate's
//! `parallel` feature, AVX2 chosen at run time), and each thread keeps its working memory
//! between hashes, so a bulk import allocates and faults in one buffer per worker instead of
//! 64 MiB per password.

use std::cell::RefCell;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::error::{Error, Result};

thread_local! {
    /// This thread's Argon2 working memory, grown to the largest hash it has computed.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Computes the tag of `password` into `out`, with this thread's reused memory.
fn compute(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> argon2::Result<()> {
    MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        let blocks = params.block_count();
        if memory.len() < blocks {
            // Zeroed on every core: faulting in 64 MiB is a third of one verification's time.
            use rayon::prelude::*;
            memory.clear();
            memory.reserve_exact(blocks);
            memory.par_extend((0..blocks).into_par_iter().map(|_| Block::new()));
        }
        argon2.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
    })
}

/// A new Argon2id hash as a PHC string, with a 16-byte salt from the OS CSPRNG.
pub(super) fn hash(password: &str, params: Params) -> Result<String> {
    let failed = |e: &dyn std::fmt::Display| Error::Internal(format!("hashing the password: {e}"));
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| Error::Internal(format!("the system's random source failed: {e}")))?;
    let mut tag = vec![0u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    compute(&argon2, &params, password.as_bytes(), &salt, &mut tag).map_err(|e| failed(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| failed(&e))?,
        salt: Some(Salt::new(&salt).map_err(|e| failed(&e))?),
        hash: Some(Output::new(&tag).map_err(|e| failed(&e))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` gives the stored tag of a parsed (and bounds-checked) Argon2 hash. The
/// tags are compared in constant time (`Output`'s equality).
pub(super) fn verify(password: &str, parsed: &PasswordHash) -> std::result::Result<bool, String> {
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return Err("no salt or no tag".to_owned());
    };
    let algorithm = Algorithm::try_from(parsed.algorithm.as_str()).map_err(|e| e.to_string())?;
    let version = Version::try_from(parsed.version.unwrap_or(0x10)).map_err(|e| e.to_string())?;
    let params = Params::try_from(parsed).map_err(|e| e.to_string())?;
    let mut tag = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params.clone());
    compute(&argon2, &params, password.as_bytes(), salt, &mut tag).map_err(|e| e.to_string())?;
    let tag = Output::new(&tag).map_err(|e| e.to_string())?;
    Ok(tag == *expected)
}
