//! Every client-visible error text, in one place, with Redis 7's exact
//! wording. Values are the text after the leading `-`.

use crate::Reply;

pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
pub const SYNTAX: &str = "ERR syntax error";
pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
pub const NOT_FLOAT: &str = "ERR value is not a valid float";
pub const OVERFLOW: &str = "ERR increment or decrement would overflow";
pub const NAN_OR_INF: &str = "ERR increment would produce NaN or Infinity";
pub const NO_SUCH_KEY: &str = "ERR no such key";
pub const STRING_TOO_LONG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
pub const OFFSET_OUT_OF_RANGE: &str = "ERR offset is out of range";
pub const DB_INDEX: &str = "ERR DB index is out of range";
pub const CROSSSLOT: &str = "CROSSSLOT Keys in request don't hash to the same slot";
pub const INVALID_CURSOR: &str = "ERR invalid cursor";
pub const MAX_CLIENTS: &str = "ERR max number of clients reached";
pub const MAX_CLIENTS_PER_IP: &str = "ERR max connections per client exceeded";
pub const NX_XX_GT_LT: &str = "ERR NX and XX, GT or LT options at the same time are not compatible";
pub const GT_LT: &str = "ERR GT and LT options at the same time are not compatible";
pub const DECREMENT_OVERFLOW: &str = "ERR decrement would overflow";
pub const SAME_OBJECT: &str = "ERR source and destination objects are the same";
pub const LCS_NOT_STRINGS: &str = "ERR The specified keys must contain string values";
pub const LCS_LEN_AND_IDX: &str =
    "ERR If you want both the length and indexes, please just use IDX.";
pub const LCS_TOO_LONG: &str = "ERR String too long for LCS";
pub const LCS_TOO_MUCH_MEMORY: &str =
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";
pub const LFU_NOT_SELECTED: &str = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
// ---- hashes (issue 10) ----
pub const HASH_NOT_INTEGER: &str = "ERR hash value is not an integer";
pub const HASH_NOT_FLOAT: &str = "ERR hash value is not a float";
/// HINCRBYFLOAT's increment itself is NaN or infinite.
pub const NAN_OR_INF_VALUE: &str = "ERR value is NaN or Infinity";
/// `getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX)` (HRANDFIELD's count).
pub const LONG_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
pub const VALUE_OUT_OF_RANGE: &str = "ERR value is out of range";
pub const NOT_LEADER: &str = "TRYAGAIN group leader is not available, try again";
/// A write this replica proposed as leader that it can no longer decide
/// (it lost leadership and fell behind a snapshot, or stayed cut off from
/// the majority): it may or may not have run.
pub const OUTCOME_UNKNOWN: &str =
    "ERR the command's outcome is unknown (its leader lost leadership); it may or may not have run";
pub const SHUTTING_DOWN: &str = "ERR server is shutting down";
/// Prefix of the reply to a command whose storage read failed (followed by
/// `: <detail>`); no Redis equivalent.
/// A blocking command's apply found nothing to pop: the core keeps the
/// client blocked instead of answering (io's `blocking`); never sent to a
/// client.
pub const WOULD_BLOCK: &str = "COREKV-WOULDBLOCK";
/// Redis's answer to a blocked client when the node stops serving its key.
pub const UNBLOCKED_STATE: &str =
    "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)";
pub const STORAGE_READ: &str = "ERR storage read error";

/// `ERR wrong number of arguments for 'get' command` (name lowercased, as
/// Redis prints the command's table name).
pub fn arity(cmd: &str) -> Reply {
    Reply::Error(format!(
        "ERR wrong number of arguments for '{}' command",
        cmd.to_ascii_lowercase()
    ))
}

/// `ERR invalid expire time in 'set' command`
pub fn invalid_expire(cmd: &str) -> Reply {
    Reply::Error(format!(
        "ERR invalid expire time in '{}' command",
        cmd.to_ascii_lowercase()
    ))
}

/// `ERR unknown command 'foo', with args beginning with: 'a' 'b' `
/// Redis quotes at most the first 127 bytes of each of the args.
pub fn unknown_command(name: &[u8], args: &[bytes::Bytes]) -> Reply {
    let mut s = format!(
        "ERR unknown command '{}', with args beginning with: ",
        trunc(name)
    );
    for a in args.iter().take(16) {
        s.push('\'');
        s.push_str(&trunc(a));
        s.push_str("' ");
    }
    Reply::Error(s)
}

/// `ERR unknown subcommand 'foo'. Try CLIENT HELP.`
pub fn unknown_subcommand(cmd: &str, sub: &[u8]) -> Reply {
    Reply::Error(format!(
        "ERR unknown subcommand '{}'. Try {} HELP.",
        trunc(sub),
        cmd.to_ascii_uppercase()
    ))
}

fn trunc(b: &[u8]) -> String {
    let cut = b.get(..128).unwrap_or(b);
    String::from_utf8_lossy(cut).into_owned()
}

pub fn err(text: &str) -> Reply {
    Reply::Error(text.to_string())
}

/// `ERR Unsupported option foo` (EXPIRE family flags).
pub fn unsupported_option(opt: &[u8]) -> Reply {
    Reply::Error(format!("ERR Unsupported option {}", sanitize(opt)))
}

/// Redis's `addReplyErrorFormat` turns CR/LF into spaces so the error stays
/// one protocol line.
fn sanitize(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .chars()
        .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
        .collect()
}
