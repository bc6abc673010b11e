//! The vault for personal data: one XChaCha20-Poly1305 key per data subject,
//! in `personal_data_keys`, outside the append-only log. Events and read
//! models only ever hold sealed copies; erasing the key shreds them all.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use prasme_domain::employee::{PersonalData, SealedPersonalData};
use sqlx::PgPool;
use thiserror::Error;
use uuid::Uuid;

#[derive(Debug, Error)]
pub enum VaultError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("sealed personal data of {0} is corrupt")]
    Corrupt(Uuid),
}

#[derive(Clone)]
pub struct Vault {
    pool: PgPool,
}

impl Vault {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Seals `data` with the subject's key, creating the key on first use.
    pub async fn seal(&self, subject: Uuid, data: &PersonalData) -> Result<SealedPersonalData, VaultError> {
        let fresh = XChaCha20Poly1305::generate_key(&mut OsRng);
        // The first key stored wins, so concurrent seals agree on one key.
        let key: Vec<u8> = sqlx::query_scalar(
            "INSERT INTO personal_data_keys (subject_id, key) VALUES ($1, $2)
             ON CONFLICT (subject_id) DO UPDATE SET subject_id = EXCLUDED.subject_id
             RETURNING key",
        )
        .bind(subject)
        .bind(fresh.as_slice())
        .fetch_one(&self.pool)
        .await?;
        let cipher = XChaCha20Poly1305::new(Key::from_slice(&key));
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let plain = serde_json::to_vec(data).map_err(|_| VaultError::Corrupt(subject))?;
        // Binding the subject id as associated data stops a sealed copy from
        // being passed off as another person's.
        let ciphertext = cipher
            .encrypt(
                &nonce,
                chacha20poly1305::aead::Payload {
                    msg: &plain,
                    aad: subject.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Corrupt(subject))?;
        Ok(SealedPersonalData {
            nonce: hex::encode(nonce),
            ciphertext: hex::encode(ciphertext),
        })
    }

    /// The subject's personal data, or None once it has been erased.
    pub async fn open(&self, subject: Uuid, sealed: &SealedPersonalData) -> Result<Option<PersonalData>, VaultError> {
        let key: Option<Vec<u8>> = sqlx::query_scalar("SELECT key FROM personal_data_keys WHERE subject_id = $1")
            .bind(subject)
            .fetch_optional(&self.pool)
            .await?;
        let Some(key) = key else { return Ok(None) };
        let corrupt = |_| VaultError::Corrupt(subject);
        let nonce = hex::decode(&sealed.nonce).map_err(corrupt)?;
        let ciphertext = hex::decode(&sealed.ciphertext).map_err(corrupt)?;
        if nonce.len() != 24 {
            return Err(VaultError::Corrupt(subject));
        }
        let plain = XChaCha20Poly1305::new(Key::from_slice(&key))
            .decrypt(
                XNonce::from_slice(&nonce),
                chacha20poly1305::aead::Payload {
                    msg: &ciphertext,
                    aad: subject.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Corrupt(subject))?;
        serde_json::from_slice(&plain)
            .map(Some)
            .map_err(|_| VaultError::Corrupt(subject))
    }

    /// Destroys the subject's key. Idempotent.
    pub async fn erase(&self, subject: Uuid) -> Result<(), VaultError> {
        sqlx::query("DELETE FROM personal_data_keys WHERE subject_id = $1")
            .bind(subject)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
