//! The keys of open 360-degree feedback cycles, and the submissions sealed
//! under them until close (`feedback_cycle_keys`, `feedback_pending`),
//! outside the append-only log. One XChaCha20-Poly1305 key per cycle seals
//! each invited rater's employee id (in `RaterInvited`) and each pending
//! submission; an HMAC-SHA256 of the invitation under the same key is the
//! submission's pseudonym, which refuses a second one. Closing or cancelling
//! the cycle destroys the key with the pending rows, as `Vault::erase`
//! shreds personal data: after that neither the sealed invitations nor the
//! pseudonyms in the log link a submission to its rater, even for a
//! database superuser. Nothing here is logged.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use prasme_domain::employee::SealedPersonalData;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::VaultError;

/// One cycle's key: 32 bytes.
#[derive(Clone)]
pub(crate) struct CycleKey {
    cycle_id: Uuid,
    bytes: Vec<u8>,
}

impl CycleKey {
    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(Key::from_slice(&self.bytes))
    }

    fn corrupt<E>(&self) -> impl Fn(E) -> VaultError + '_ {
        move |_| VaultError::Corrupt(self.cycle_id)
    }

    /// `hex(HMAC-SHA256(key, invitation id))`: the same for every
    /// submission on one invitation, unguessable without the key.
    pub(crate) fn pseudonym(&self, invitation_id: Uuid) -> Result<String, VaultError> {
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.bytes).map_err(self.corrupt())?;
        mac.update(invitation_id.as_bytes());
        Ok(hex::encode(mac.finalize().into_bytes()))
    }

    /// `plain` sealed with associated data `aad` (which must be given again
    /// to open it): a fresh nonce and the ciphertext.
    pub(crate) fn seal(&self, aad: &[u8], plain: &[u8]) -> Result<(Vec<u8>, Vec<u8>), VaultError> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher()
            .encrypt(&nonce, Payload { msg: plain, aad })
            .map_err(self.corrupt())?;
        Ok((nonce.to_vec(), sealed))
    }

    pub(crate) fn open(&self, aad: &[u8], nonce: &[u8], sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
        if nonce.len() != 24 {
            return Err(VaultError::Corrupt(self.cycle_id));
        }
        self.cipher()
            .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad })
            .map_err(self.corrupt())
    }

    /// The rater's employee id sealed for `RaterInvited`, bound to its invitation.
    pub(crate) fn seal_rater(&self, invitation_id: Uuid, rater: Uuid) -> Result<SealedPersonalData, VaultError> {
        let (nonce, sealed) = self.seal(invitation_id.as_bytes(), rater.as_bytes())?;
        Ok(SealedPersonalData {
            nonce: hex::encode(nonce),
            ciphertext: hex::encode(sealed),
        })
    }

    pub(crate) fn open_rater(&self, invitation_id: Uuid, sealed: &SealedPersonalData) -> Result<Uuid, VaultError> {
        let nonce = hex::decode(&sealed.nonce).map_err(self.corrupt())?;
        let ciphertext = hex::decode(&sealed.ciphertext).map_err(self.corrupt())?;
        let plain = self.open(invitation_id.as_bytes(), &nonce, &ciphertext)?;
        Uuid::from_slice(&plain).map_err(self.corrupt())
    }
}

/// A submission as `feedback_pending` holds it.
pub(crate) struct Pending {
    pub(crate) pseudonym: String,
    pub(crate) nonce: Vec<u8>,
    pub(crate) sealed: Vec<u8>,
}

#[derive(Clone)]
pub struct FeedbackKeys {
    pool: PgPool,
}

impl FeedbackKeys {
    pub(crate) fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Makes the cycle's key unless it has one. Idempotent.
    pub(crate) async fn create(&self, cycle_id: Uuid) -> Result<(), VaultError> {
        let fresh = XChaCha20Poly1305::generate_key(&mut OsRng);
        sqlx::query("INSERT INTO feedback_cycle_keys (cycle_id, key) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(cycle_id)
            .bind(fresh.as_slice())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The cycle's key; none once the cycle is closed or cancelled.
    pub(crate) async fn key(&self, cycle_id: Uuid) -> Result<Option<CycleKey>, VaultError> {
        let key: Option<Vec<u8>> = sqlx::query_scalar("SELECT key FROM feedback_cycle_keys WHERE cycle_id = $1")
            .bind(cycle_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(key.map(|bytes| CycleKey { cycle_id, bytes }))
    }

    /// The key inside `tx`, locked: `share` by a submission (many at once),
    /// exclusively by a close or cancel, which thereby waits for the
    /// submissions under way and makes the later ones find no key.
    pub(crate) async fn lock(
        tx: &mut PgConnection,
        cycle_id: Uuid,
        share: bool,
    ) -> Result<Option<CycleKey>, VaultError> {
        let lock = if share { "FOR SHARE" } else { "FOR UPDATE" };
        let key: Option<Vec<u8>> = sqlx::query_scalar(&format!(
            "SELECT key FROM feedback_cycle_keys WHERE cycle_id = $1 {lock}"
        ))
        .bind(cycle_id)
        .fetch_optional(&mut *tx)
        .await?;
        Ok(key.map(|bytes| CycleKey { cycle_id, bytes }))
    }

    /// Notes that `rater` is invited to the cycle, before the invitation is
    /// appended (a note whose append failed shows nothing). Idempotent.
    pub(crate) async fn note_invited(&self, cycle_id: Uuid, rater: Uuid) -> Result<(), VaultError> {
        sqlx::query("INSERT INTO feedback_inbox (rater_id, cycle_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(rater)
            .bind(cycle_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The cycles that may invite `rater`: to be confirmed by unsealing.
    pub(crate) async fn inbox(&self, rater: Uuid) -> Result<Vec<Uuid>, VaultError> {
        Ok(
            sqlx::query_scalar("SELECT cycle_id FROM feedback_inbox WHERE rater_id = $1 ORDER BY cycle_id")
                .bind(rater)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Whether the invitation's submission is kept.
    pub(crate) async fn submitted(&self, key: &CycleKey, invitation_id: Uuid) -> Result<bool, VaultError> {
        Ok(
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM feedback_pending WHERE cycle_id = $1 AND pseudonym = $2)")
                .bind(key.cycle_id)
                .bind(key.pseudonym(invitation_id)?)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Keeps a sealed submission; false when its pseudonym has one already.
    pub(crate) async fn keep(
        tx: &mut PgConnection,
        cycle_id: Uuid,
        relationship: &str,
        pending: Pending,
    ) -> Result<bool, VaultError> {
        let inserted = sqlx::query(
            "INSERT INTO feedback_pending (cycle_id, pseudonym, relationship, nonce, sealed)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(cycle_id)
        .bind(pending.pseudonym)
        .bind(relationship)
        .bind(pending.nonce)
        .bind(pending.sealed)
        .execute(&mut *tx)
        .await?;
        Ok(inserted.rows_affected() == 1)
    }

    /// The cycle's sealed submissions, in pseudonym order.
    pub(crate) async fn pending(tx: &mut PgConnection, cycle_id: Uuid) -> Result<Vec<Pending>, VaultError> {
        let rows: Vec<(String, Vec<u8>, Vec<u8>)> = sqlx::query_as(
            "SELECT pseudonym, nonce, sealed FROM feedback_pending WHERE cycle_id = $1 ORDER BY pseudonym",
        )
        .bind(cycle_id)
        .fetch_all(&mut *tx)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(pseudonym, nonce, sealed)| Pending {
                pseudonym,
                nonce,
                sealed,
            })
            .collect())
    }

    /// Destroys the cycle's key, its pending submissions and who it
    /// invited, inside `tx`. Idempotent.
    pub(crate) async fn destroy(tx: &mut PgConnection, cycle_id: Uuid) -> Result<(), VaultError> {
        for table in ["feedback_pending", "feedback_inbox", "feedback_cycle_keys"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE cycle_id = $1"))
                .bind(cycle_id)
                .execute(&mut *tx)
                .await?;
        }
        Ok(())
    }

    /// Destroys what a close or cancel that stopped between its append and
    /// its delete left: the keys, pending and inbox rows of cycles whose streams
    /// are closed or cancelled. Run at start; returns how many keys.
    pub async fn destroy_leftovers(pool: &PgPool) -> Result<u64, VaultError> {
        const ENDED: &str = "SELECT k.cycle_id FROM feedback_cycle_keys k WHERE EXISTS (
              SELECT 1 FROM events e WHERE e.stream_id = 'feedback-cycle-' || k.cycle_id::text
                 AND e.event_type IN ('FeedbackCycleClosed', 'FeedbackCycleCancelled'))";
        let mut tx = pool.begin().await?;
        for table in ["feedback_pending", "feedback_inbox"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE cycle_id IN ({ENDED})"))
                .execute(&mut *tx)
                .await?;
        }
        let keys = sqlx::query(&format!("DELETE FROM feedback_cycle_keys WHERE cycle_id IN ({ENDED})"))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(keys)
    }
}
