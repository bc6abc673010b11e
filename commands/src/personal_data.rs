//! The vault for personal data: one XChaCha20-Poly1305 key per data subject,
//! in `personal_data_keys`, outside the append-only log. Events and read
//! models only ever hold sealed copies; erasing the key shreds them all.
//! Names are searchable through a blind index beside the keys: keyed
//! digests of the prefixes a search can ask for, erased with the key.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use prasme_domain::employee::{PersonalData, SealedPersonalData};
use prasme_domain::name_search;
use sha2::Sha256;
use sqlx::PgPool;
use thiserror::Error;
use tokio::sync::OnceCell;
use uuid::Uuid;

/// A digest of one name prefix, as `personal_name_index` holds it.
pub type NameToken = Vec<u8>;
const TOKEN_BYTES: usize = 16;

#[derive(Debug, Error)]
pub enum VaultError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("sealed personal data of {0} is corrupt")]
    Corrupt(Uuid),
    #[error("the name index key is unusable")]
    IndexKey,
}

#[derive(Clone)]
pub struct Vault {
    pool: PgPool,
    /// The blind index's key, read (or made) once per process.
    index_key: std::sync::Arc<OnceCell<Vec<u8>>>,
}

impl Vault {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            index_key: Default::default(),
        }
    }

    /// The database the vault keeps its keys in.
    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn index_key(&self) -> Result<&[u8], VaultError> {
        let key = self
            .index_key
            .get_or_try_init(|| async {
                let fresh = XChaCha20Poly1305::generate_key(&mut OsRng);
                // The first key stored wins, as with the subjects' keys.
                sqlx::query_scalar(
                    "INSERT INTO personal_name_index_key (key) VALUES ($1)
                     ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id RETURNING key",
                )
                .bind(fresh.as_slice())
                .fetch_one(&self.pool)
                .await
            })
            .await?;
        Ok(key)
    }

    async fn tokens(&self, terms: &[String]) -> Result<Vec<NameToken>, VaultError> {
        let key = self.index_key().await?;
        terms
            .iter()
            .map(|term| {
                let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).map_err(|_| VaultError::IndexKey)?;
                mac.update(term.as_bytes());
                Ok(mac.finalize().into_bytes()[..TOKEN_BYTES].to_vec())
            })
            .collect()
    }

    /// Makes the subject findable by `name`. Idempotent.
    pub async fn index_name(&self, subject: Uuid, name: &str) -> Result<(), VaultError> {
        let tokens = self.tokens(&name_search::prefixes(name)).await?;
        sqlx::query(
            "INSERT INTO personal_name_index (subject_id, token)
             SELECT $1, t FROM unnest($2::bytea[]) AS t ON CONFLICT DO NOTHING",
        )
        .bind(subject)
        .bind(tokens)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The digests a name must all have to match `terms` (from
    /// `name_search::search_terms`).
    pub async fn search_tokens(&self, terms: &[String]) -> Result<Vec<NameToken>, VaultError> {
        self.tokens(terms).await
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

    /// Seals many subjects' data at once, for bulk loads: their keys in one
    /// statement (a subject that has a key keeps it), their names indexed
    /// in another. The caller gives each subject's key and nonce; a loader
    /// of synthetic data derives them from its seed, so that the same seed
    /// seals to the same bytes. Anything real goes through `seal`.
    pub async fn seal_many(
        &self,
        subjects: &[(Uuid, PersonalData, [u8; 32], [u8; 24])],
    ) -> Result<Vec<SealedPersonalData>, VaultError> {
        let ids: Vec<Uuid> = subjects.iter().map(|s| s.0).collect();
        let fresh: Vec<Vec<u8>> = subjects.iter().map(|s| s.2.to_vec()).collect();
        let stored: Vec<(Uuid, Vec<u8>)> = sqlx::query_as(
            "INSERT INTO personal_data_keys (subject_id, key) SELECT * FROM unnest($1::uuid[], $2::bytea[])
             ON CONFLICT (subject_id) DO UPDATE SET subject_id = EXCLUDED.subject_id
             RETURNING subject_id, key",
        )
        .bind(&ids)
        .bind(&fresh)
        .fetch_all(&self.pool)
        .await?;
        let keys: std::collections::HashMap<Uuid, Vec<u8>> = stored.into_iter().collect();
        let mut sealed = Vec::with_capacity(subjects.len());
        let (mut token_subjects, mut tokens) = (Vec::new(), Vec::new());
        for (subject, data, _, nonce) in subjects {
            let key = keys.get(subject).ok_or(VaultError::Corrupt(*subject))?;
            let plain = serde_json::to_vec(data).map_err(|_| VaultError::Corrupt(*subject))?;
            let ciphertext = XChaCha20Poly1305::new(Key::from_slice(key))
                .encrypt(
                    XNonce::from_slice(nonce),
                    chacha20poly1305::aead::Payload {
                        msg: &plain,
                        aad: subject.as_bytes(),
                    },
                )
                .map_err(|_| VaultError::Corrupt(*subject))?;
            sealed.push(SealedPersonalData {
                nonce: hex::encode(nonce),
                ciphertext: hex::encode(ciphertext),
            });
            for token in self.tokens(&name_search::prefixes(&data.name)).await? {
                token_subjects.push(*subject);
                tokens.push(token);
            }
        }
        sqlx::query(
            "INSERT INTO personal_name_index (subject_id, token)
             SELECT * FROM unnest($1::uuid[], $2::bytea[]) ON CONFLICT DO NOTHING",
        )
        .bind(token_subjects)
        .bind(tokens)
        .execute(&self.pool)
        .await?;
        Ok(sealed)
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

    /// Destroys the subject's key and their entries in the name index, in
    /// one transaction. Idempotent.
    pub async fn erase(&self, subject: Uuid) -> Result<(), VaultError> {
        let mut tx = self.pool.begin().await?;
        for table in ["personal_data_keys", "personal_name_index"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE subject_id = $1"))
                .bind(subject)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
