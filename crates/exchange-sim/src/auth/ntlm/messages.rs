//! NTLM wire format (MS-NLMP 2.2): bounds-checked parsing of NEGOTIATE and
//! AUTHENTICATE messages, encoding of CHALLENGE messages.

use super::error::NtlmError;

const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";
const NEGOTIATE_TYPE: u32 = 1;
const CHALLENGE_TYPE: u32 = 2;
const AUTHENTICATE_TYPE: u32 = 3;

/// Offset of the MIC in an AUTHENTICATE message that carries one.
pub(crate) const MIC_OFFSET: usize = 72;
/// Length of the MIC.
pub(crate) const MIC_LEN: usize = 16;
/// Length of an NTLMv1 NtChallengeResponse; NTLMv2 responses are longer.
pub(crate) const NTLMV1_RESPONSE_LEN: usize = 24;

/// Bits of NegotiateFlags (MS-NLMP 2.2.2.5).
pub(crate) mod flags {
    pub(crate) const UNICODE: u32 = 0x0000_0001;
    pub(crate) const REQUEST_TARGET: u32 = 0x0000_0004;
    pub(crate) const SIGN: u32 = 0x0000_0010;
    pub(crate) const SEAL: u32 = 0x0000_0020;
    pub(crate) const NTLM: u32 = 0x0000_0200;
    pub(crate) const ALWAYS_SIGN: u32 = 0x0000_8000;
    pub(crate) const TARGET_TYPE_DOMAIN: u32 = 0x0001_0000;
    pub(crate) const EXTENDED_SESSION_SECURITY: u32 = 0x0008_0000;
    pub(crate) const TARGET_INFO: u32 = 0x0080_0000;
    pub(crate) const VERSION: u32 = 0x0200_0000;
    pub(crate) const KEY_128: u32 = 0x2000_0000;
    pub(crate) const KEY_EXCH: u32 = 0x4000_0000;
    pub(crate) const KEY_56: u32 = 0x8000_0000;
}

/// AV_PAIR identifiers (MS-NLMP 2.2.2.1).
pub(crate) mod av {
    pub(crate) const EOL: u16 = 0;
    pub(crate) const NB_COMPUTER_NAME: u16 = 1;
    pub(crate) const NB_DOMAIN_NAME: u16 = 2;
    pub(crate) const DNS_COMPUTER_NAME: u16 = 3;
    pub(crate) const DNS_DOMAIN_NAME: u16 = 4;
    pub(crate) const DNS_TREE_NAME: u16 = 5;
    pub(crate) const FLAGS: u16 = 6;
    pub(crate) const TIMESTAMP: u16 = 7;
    /// MsvAvFlags bit: the AUTHENTICATE message carries a MIC.
    pub(crate) const FLAG_MIC_PRESENT: u32 = 0x0000_0002;
}

/// Windows Server 2022 (10.0.20348), NTLM revision 15.
const SERVER_VERSION: [u8; 8] = [10, 0, 0x4c, 0x4f, 0, 0, 0, 0x0f];

/// Whether `message` is a NEGOTIATE (type 1) message rather than an AUTHENTICATE.
pub fn is_negotiate(message: &[u8]) -> bool {
    Reader::open(message, "NEGOTIATE", NEGOTIATE_TYPE).is_ok()
}

/// A parsed NEGOTIATE message.
pub(crate) struct Negotiate {
    pub(crate) flags: u32,
}

impl Negotiate {
    pub(crate) fn parse(buf: &[u8]) -> Result<Self, NtlmError> {
        let r = Reader::open(buf, "NEGOTIATE", NEGOTIATE_TYPE)?;
        Ok(Self { flags: r.u32(12)? })
    }
}

/// A parsed AUTHENTICATE message (fields the server needs).
pub(crate) struct Authenticate<'a> {
    pub(crate) flags: u32,
    pub(crate) nt_response: &'a [u8],
    pub(crate) domain: String,
    pub(crate) user: String,
    pub(crate) encrypted_session_key: &'a [u8],
}

impl<'a> Authenticate<'a> {
    pub(crate) fn parse(buf: &'a [u8]) -> Result<Self, NtlmError> {
        let r = Reader::open(buf, "AUTHENTICATE", AUTHENTICATE_TYPE)?;
        // Strings are UTF-16: the server's CHALLENGE only ever negotiates Unicode.
        Ok(Self {
            flags: r.u32(60)?,
            nt_response: r.field(20, "NtChallengeResponse")?,
            domain: r.utf16(28, "DomainName")?,
            user: r.utf16(36, "UserName")?,
            encrypted_session_key: r.field(52, "EncryptedRandomSessionKey")?,
        })
    }

    /// The MIC as sent, if the message is long enough to hold one.
    pub(crate) fn mic(buf: &[u8]) -> Option<&[u8]> {
        buf.get(MIC_OFFSET..MIC_OFFSET + MIC_LEN)
    }
}

/// An NTLMv2 NtChallengeResponse split into NTProofStr and the client blob.
pub(crate) struct NtlmV2Response<'a> {
    pub(crate) proof: &'a [u8],
    pub(crate) blob: &'a [u8],
    /// MsvAvFlags from the blob's AV pairs (0 if absent).
    pub(crate) av_flags: u32,
}

impl<'a> NtlmV2Response<'a> {
    /// Blob header: RespType, HiRespType, reserved, TimeStamp, ChallengeFromClient, reserved.
    const BLOB_HEADER_LEN: usize = 28;

    pub(crate) fn parse(nt_response: &'a [u8]) -> Result<Self, NtlmError> {
        let malformed = |reason: &str| malformed("AUTHENTICATE", reason.to_owned());
        if nt_response.len() < 16 + Self::BLOB_HEADER_LEN {
            return Err(malformed("NTLMv2 response is too short"));
        }
        let (proof, blob) = nt_response.split_at(16);
        if blob[0] != 1 || blob[1] != 1 {
            return Err(malformed("NTLMv2 response has an unknown blob version"));
        }
        let mut av_flags = 0;
        for (id, value) in parse_av_pairs(&blob[Self::BLOB_HEADER_LEN..])? {
            if id == av::FLAGS {
                let bytes: [u8; 4] = value
                    .try_into()
                    .map_err(|_| malformed("MsvAvFlags is not 4 bytes long"))?;
                av_flags = u32::from_le_bytes(bytes);
            }
        }
        Ok(Self {
            proof,
            blob,
            av_flags,
        })
    }
}

/// Parse an AV_PAIR list up to its MsvAvEOL terminator.
fn parse_av_pairs(buf: &[u8]) -> Result<Vec<(u16, &[u8])>, NtlmError> {
    let r = Reader {
        buf,
        message: "AUTHENTICATE",
    };
    let mut pairs = Vec::new();
    let mut offset = 0;
    loop {
        let id = r.u16(offset)?;
        if id == av::EOL {
            return Ok(pairs);
        }
        let len = usize::from(r.u16(offset + 2)?);
        pairs.push((id, r.bytes(offset + 4, len)?));
        offset += 4 + len;
    }
}

/// Encode an AV_PAIR list, appending the MsvAvEOL terminator.
pub(crate) fn encode_av_pairs(pairs: &[(u16, &[u8])]) -> Result<Vec<u8>, NtlmError> {
    let mut out = Vec::new();
    for (id, value) in pairs {
        let len = u16::try_from(value.len()).map_err(|_| NtlmError::NamesTooLong)?;
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(value);
    }
    out.extend_from_slice(&[0; 4]);
    Ok(out)
}

/// Encode a CHALLENGE message (with Version) from UTF-16LE target name and encoded target info.
pub(crate) fn encode_challenge(
    flags: u32,
    server_challenge: &[u8; 8],
    target_name: &[u8],
    target_info: &[u8],
) -> Result<Vec<u8>, NtlmError> {
    const PAYLOAD_OFFSET: usize = 56;
    let name_len = u16::try_from(target_name.len()).map_err(|_| NtlmError::NamesTooLong)?;
    let info_len = u16::try_from(target_info.len()).map_err(|_| NtlmError::NamesTooLong)?;
    let name_offset = PAYLOAD_OFFSET as u32;
    let info_offset = name_offset + u32::from(name_len);

    let mut out = Vec::with_capacity(PAYLOAD_OFFSET + target_name.len() + target_info.len());
    out.extend_from_slice(SIGNATURE);
    out.extend_from_slice(&CHALLENGE_TYPE.to_le_bytes());
    push_field(&mut out, name_len, name_offset);
    out.extend_from_slice(&flags.to_le_bytes());
    out.extend_from_slice(server_challenge);
    out.extend_from_slice(&[0; 8]);
    push_field(&mut out, info_len, info_offset);
    out.extend_from_slice(&SERVER_VERSION);
    out.extend_from_slice(target_name);
    out.extend_from_slice(target_info);
    Ok(out)
}

/// Write a field descriptor: Len, MaxLen, BufferOffset.
fn push_field(out: &mut Vec<u8>, len: u16, offset: u32) {
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&offset.to_le_bytes());
}

/// Encode a string as UTF-16LE.
pub(crate) fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn malformed(message: &'static str, reason: String) -> NtlmError {
    NtlmError::Malformed { message, reason }
}

/// Bounds-checked little-endian reader over one message.
struct Reader<'a> {
    buf: &'a [u8],
    message: &'static str,
}

impl<'a> Reader<'a> {
    /// Check the signature and message type.
    fn open(buf: &'a [u8], message: &'static str, expected: u32) -> Result<Self, NtlmError> {
        let r = Self { buf, message };
        if r.bytes(0, SIGNATURE.len())? != SIGNATURE {
            return Err(malformed(message, "missing NTLMSSP signature".to_owned()));
        }
        let actual = r.u32(8)?;
        if actual != expected {
            return Err(NtlmError::UnexpectedMessageType { expected, actual });
        }
        Ok(r)
    }

    fn bytes(&self, offset: usize, len: usize) -> Result<&'a [u8], NtlmError> {
        offset
            .checked_add(len)
            .and_then(|end| self.buf.get(offset..end))
            .ok_or_else(|| {
                malformed(
                    self.message,
                    format!(
                        "{len} bytes at offset {offset} exceed the {}-byte buffer",
                        self.buf.len()
                    ),
                )
            })
    }

    fn u16(&self, offset: usize) -> Result<u16, NtlmError> {
        let mut le = [0; 2];
        le.copy_from_slice(self.bytes(offset, 2)?);
        Ok(u16::from_le_bytes(le))
    }

    fn u32(&self, offset: usize) -> Result<u32, NtlmError> {
        let mut le = [0; 4];
        le.copy_from_slice(self.bytes(offset, 4)?);
        Ok(u32::from_le_bytes(le))
    }

    /// The payload referenced by the field descriptor (Len, MaxLen, BufferOffset) at `offset`.
    fn field(&self, offset: usize, name: &str) -> Result<&'a [u8], NtlmError> {
        let len = usize::from(self.u16(offset)?);
        let start = usize::try_from(self.u32(offset + 4)?).unwrap_or(usize::MAX);
        self.bytes(start, len).map_err(|_| {
            malformed(
                self.message,
                format!(
                    "{name} ({len} bytes at offset {start}) exceeds the {}-byte message",
                    self.buf.len()
                ),
            )
        })
    }

    /// A UTF-16LE string field.
    fn utf16(&self, offset: usize, name: &str) -> Result<String, NtlmError> {
        let bytes = self.field(offset, name)?;
        if bytes.len() % 2 != 0 {
            return Err(malformed(
                self.message,
                format!("{name} has an odd UTF-16 byte length {}", bytes.len()),
            ));
        }
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16(&units)
            .map_err(|_| malformed(self.message, format!("{name} is not valid UTF-16")))
    }
}
