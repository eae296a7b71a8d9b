//! AUTH and ACL on a node (docs/design/0028): the node's users (what the
//! meta group 0 applied, `corekv_core::acl`), swapped whole behind an
//! atomic pointer; a connection's authentication and permission gate
//! before dispatch; `AUTH`, `HELLO AUTH`, the `ACL` command family,
//! `requirepass`, the ACL file and the ACL LOG.
//!
//! Every change (`ACL SETUSER`/`DELUSER`/`LOAD`, `CONFIG SET requirepass`,
//! and the `--aclfile`/`--requirepass` a node starts with) is one
//! `COREKV.ACLOP` entry of group 0, applied by every replica's state
//! machine; each node's core 0 installs what its replica applied. A
//! connection notices a new user set by one relaxed atomic load per
//! command. Members' links (`COREKV.MEMBER`) are not subject to ACL: a
//! proxied command was checked on the node its client is connected to.

use crate::conn::Conn;
use crate::core::Core;
use arc_swap::ArcSwap;
use bytes::Bytes;
use corekv_core::acl::{self, Acl, Denied, User};
use corekv_core::table::{self, AclSub, CommandSpec};
use corekv_core::{Reply, errors};
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

/// The internal command that carries an ACL change to group 0.
pub const ACL_OP: &str = "COREKV.ACLOP";

/// Redis's `acllog-max-len` default.
const LOG_MAX: usize = 128;
/// Redis groups equal denials this close in time into one entry.
const LOG_GROUP_MS: u64 = 60_000;

struct LogEntry {
    count: u64,
    reason: &'static str,
    context: &'static str,
    object: String,
    username: String,
    ctime_ms: u64,
    cinfo: String,
}

/// The node's users and ACL state.
pub struct NodeAcl {
    current: ArcSwap<Acl>,
    /// Bumped at every install: connections compare it per command.
    version: AtomicU64,
    log: Mutex<VecDeque<LogEntry>>,
    /// `--aclfile`.
    pub file: Option<std::path::PathBuf>,
    /// `CONFIG GET requirepass` on this node (the value is replicated as
    /// the default user's password hash only).
    requirepass: Mutex<String>,
}

/// The ACL a node starts with, from `--aclfile` and `--requirepass`
/// (checked before the data directory is touched).
pub fn initial(args: &crate::config::Args) -> Result<Acl, String> {
    let mut acl = Acl::default();
    if let Some(path) = &args.aclfile {
        let text = std::fs::read(path)
            .map_err(|e| format!("Error loading ACLs, opening file '{}': {e}", path.display()))?;
        acl = Acl::from_file(&text, &path.display().to_string())
            .map_err(|e| format!("Aborting startup because of ACL errors: {e}"))?;
    }
    if let Some(p) = &args.requirepass {
        let hash = (!p.is_empty()).then(|| acl::hash_password(p.as_bytes()));
        acl.set_requirepass_hash(hash.as_deref())?;
    }
    Ok(acl)
}

impl NodeAcl {
    pub fn new(args: &crate::config::Args) -> NodeAcl {
        let acl = initial(args).unwrap_or_else(|e| crate::config::fatal(&e));
        NodeAcl {
            current: ArcSwap::from_pointee(acl),
            version: AtomicU64::new(1),
            log: Mutex::new(VecDeque::new()),
            file: args.aclfile.clone(),
            requirepass: Mutex::new(args.requirepass.clone().unwrap_or_default()),
        }
    }

    pub fn load(&self) -> Arc<Acl> {
        self.current.load_full()
    }

    pub fn version(&self) -> u64 {
        self.version.load(Relaxed)
    }

    /// Installs the users group 0 applied (core 0, after apply).
    pub fn install(&self, blob: &[u8]) {
        match Acl::decode(blob) {
            Some(acl) => {
                self.current.store(Arc::new(acl));
                self.version.fetch_add(1, Relaxed);
            }
            None => eprintln!("corekv: the meta group's ACL state does not decode; kept the old"),
        }
    }

    pub fn requirepass(&self) -> String {
        self.requirepass
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// `addACLLogEntry`.
    #[allow(clippy::too_many_arguments)]
    fn add_log(
        &self,
        reason: &'static str,
        context: &'static str,
        object: String,
        username: String,
        cinfo: String,
    ) {
        let now = crate::node::unix_ms();
        let Ok(mut log) = self.log.lock() else { return };
        let found = log.iter().take(10).position(|e| {
            e.reason == reason
                && e.context == context
                && now.abs_diff(e.ctime_ms) <= LOG_GROUP_MS
                && e.object == object
                && e.username == username
        });
        if let Some(i) = found
            && let Some(mut e) = log.remove(i)
        {
            e.count += 1;
            e.ctime_ms = now;
            e.cinfo = cinfo;
            log.push_front(e);
            return;
        }
        log.push_front(LogEntry {
            count: 1,
            reason,
            context,
            object,
            username,
            ctime_ms: now,
            cinfo,
        });
        log.truncate(LOG_MAX);
    }
}

/// A connection's identity.
pub struct ConnAuth {
    pub authenticated: bool,
    pub user: Arc<User>,
    /// The [`NodeAcl::version`] `user` was read at.
    seen: u64,
}

impl ConnAuth {
    /// A new connection: the default user, authenticated when it needs no
    /// password (`clientSetDefaultAuth`).
    pub fn new(node: &NodeAcl) -> ConnAuth {
        let seen = node.version();
        let acl = node.load();
        ConnAuth {
            authenticated: !acl.auth_required(),
            user: acl.default_user(),
            seen,
        }
    }
}

/// What the gate decided about a command.
pub enum Gate {
    Run,
    /// Answered with this refusal.
    Refuse(Reply),
    /// The connection's user was deleted: the connection is closed.
    Close,
}

/// The users changed since this connection last looked: pick up its
/// user again. False if the user was deleted.
fn refresh_user(conn: &mut Conn) -> bool {
    let node = &conn.core.node.acl;
    let v = node.version();
    if v != conn.auth.seen {
        let acl = node.load();
        match acl.get(conn.auth.user.name.as_bytes()) {
            Some(u) => conn.auth.user = u.clone(),
            None => return false,
        }
        conn.auth.seen = v;
    }
    true
}

/// Before a subscriber is sent what was published: whether it may still
/// have every subscription it holds. After ACL SETUSER revokes a channel
/// (or DELUSER its user) Redis disconnects such clients
/// (`ACLKillPubsubClientsIfNeeded`); here the connection closes before it
/// writes anything more, the next time it wakes.
pub fn subscriptions_allowed(conn: &mut Conn) -> bool {
    if conn.is_member() || conn.core.node.acl.version() == conn.auth.seen {
        return true;
    }
    if !refresh_user(conn) {
        return false;
    }
    let user = conn.auth.user.clone();
    conn.ps.as_ref().is_none_or(|s| {
        s.names()
            .all(|(name, is_pattern)| user.check_channel(name, is_pattern))
    })
}

/// The gate before dispatch (Redis's `processCommand` order: unknown
/// command and arity first, then NOAUTH, then the ACL).
pub fn gate(conn: &mut Conn, base: Option<&'static CommandSpec>, argv: &[Bytes]) -> Gate {
    // The users changed: pick up ours again (a deleted user's
    // connections are closed, as Redis does).
    if !refresh_user(conn) {
        return Gate::Close;
    }
    if conn.auth.authenticated && conn.auth.user.unrestricted() {
        return Gate::Run;
    }
    // Unknown commands and bad arity are reported by dispatch as usual.
    let Ok(spec) = table::resolve_from(base, argv) else {
        return Gate::Run;
    };
    // The cluster secret is its own credential: other nodes' links present
    // it before anything else, whatever requirepass says.
    if spec.handler == table::Handler::Server(table::ServerCmd::Member) {
        return Gate::Run;
    }
    if !conn.auth.authenticated && !spec.has_flag("no_auth") {
        return Gate::Refuse(reject(spec, acl::NOAUTH));
    }
    match conn.auth.user.check(spec, argv) {
        Ok(()) => Gate::Run,
        Err(d) => {
            let object = match d {
                Denied::Command => spec.name.to_string(),
                Denied::Key(i) | Denied::Channel(i) => argv
                    .get(i)
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .unwrap_or_default(),
            };
            log_denial(conn, d.reason(), object, None);
            Gate::Refuse(reject(spec, &d.error(spec.name)))
        }
    }
}

/// For the pub/sub commands: whether the connection's user may use
/// `channel` (`is_pattern`: a PSUBSCRIBE pattern, matched literally against
/// the user's channel rules; a channel name is glob-matched), and if not,
/// the `-NOPERM` reply after an ACL LOG entry, as Redis's
/// `ACLCheckAllPerm` gives for a channel. Members' links may use any.
pub fn check_channel(conn: &Conn, channel: &[u8], is_pattern: bool) -> Result<(), Reply> {
    if conn.is_member() || conn.auth.user.check_channel(channel, is_pattern) {
        return Ok(());
    }
    let object = String::from_utf8_lossy(channel).into_owned();
    log_denial(conn, Denied::Channel(0).reason(), object, None);
    Err(errors::err(&Denied::Channel(0).error("")))
}

/// A restricted user running a script: what its `redis.call`s are
/// checked against on the heavy pool (Redis's `scriptVerifyACL`).
pub struct ScriptUser {
    user: Arc<User>,
    node: Arc<crate::node::Node>,
    /// The client's CLIENT LIST line, for ACL LOG entries.
    cinfo: String,
}

impl ScriptUser {
    /// `None` for a user who may run anything (and on members' links).
    pub fn of(conn: &Conn) -> Option<ScriptUser> {
        if conn.is_member() || conn.auth.user.unrestricted() {
            return None;
        }
        Some(ScriptUser {
            user: conn.auth.user.clone(),
            node: conn.core.node.clone(),
            cinfo: conn.core.client_line(conn.id),
        })
    }

    /// The error `redis.call` raises for a refused command.
    pub fn check(&self, spec: &CommandSpec, argv: &[Bytes]) -> Result<(), Reply> {
        let Err(d) = self.user.check(spec, argv) else {
            return Ok(());
        };
        let (object, why) = match d {
            Denied::Command => (
                spec.name.to_string(),
                "can't run this command or subcommand",
            ),
            Denied::Key(i) => (
                argv.get(i)
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .unwrap_or_default(),
                "can't access at least one of the keys mentioned in the command arguments",
            ),
            Denied::Channel(i) => (
                argv.get(i)
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .unwrap_or_default(),
                "can't publish to the channel mentioned in the command",
            ),
        };
        self.node.acl.add_log(
            d.reason(),
            "lua",
            object,
            self.user.name.clone(),
            self.cinfo.clone(),
        );
        Err(errors::err(&format!(
            "ERR The user executing the script {why}"
        )))
    }
}

/// `rejectCommand`: EXEC refused answers EXECABORT.
fn reject(spec: &CommandSpec, text: &str) -> Reply {
    if spec.name == "exec" {
        errors::err(&format!(
            "EXECABORT Transaction discarded because of: {text}"
        ))
    } else {
        errors::err(text)
    }
}

/// Records a denial in the ACL LOG (`username`: the one tried, for AUTH).
fn log_denial(conn: &Conn, reason: &'static str, object: String, username: Option<String>) {
    let context = if conn.multi.is_some() {
        "multi"
    } else {
        "toplevel"
    };
    let cinfo = conn.core.client_line(conn.id);
    let username = username.unwrap_or_else(|| conn.auth.user.name.clone());
    conn.core
        .node
        .acl
        .add_log(reason, context, object, username, cinfo);
}

/// Authenticates the connection as `user` (`ACLAuthenticateUser`).
fn authenticate(conn: &mut Conn, cmd: &[u8], user: &[u8], pass: &[u8]) -> bool {
    let node = &conn.core.node.acl;
    let seen = node.version();
    match node.load().authenticate(user, pass) {
        Some(u) => {
            conn.auth = ConnAuth {
                authenticated: true,
                user: u,
                seen,
            };
            conn.set_user_name();
            true
        }
        None => {
            let object = String::from_utf8_lossy(cmd).into_owned();
            log_denial(
                conn,
                "auth",
                object,
                Some(String::from_utf8_lossy(user).into_owned()),
            );
            false
        }
    }
}

/// `AUTH [username] password`.
pub fn auth(conn: &mut Conn, argv: &[Bytes]) -> Reply {
    if argv.len() > 3 {
        return errors::err(errors::SYNTAX);
    }
    let (user, pass) = match argv {
        [_, pass] => {
            if conn.core.node.acl.load().default_user().nopass() {
                return errors::err(acl::AUTH_NO_PASSWORD);
            }
            (&b"default"[..], pass.as_ref())
        }
        [_, user, pass] => (user.as_ref(), pass.as_ref()),
        _ => return errors::arity("auth"),
    };
    let cmd = argv.first().cloned().unwrap_or_default();
    if authenticate(conn, &cmd, user, pass) {
        Reply::ok()
    } else {
        errors::err(acl::WRONGPASS)
    }
}

/// `HELLO ... AUTH user pass`: `Err` is the reply.
pub fn hello_auth(conn: &mut Conn, cmd: &[u8], user: &[u8], pass: &[u8]) -> Result<(), Reply> {
    if authenticate(conn, cmd, user, pass) {
        Ok(())
    } else {
        Err(errors::err(acl::WRONGPASS))
    }
}

/// `RESET`: back to the default user (`clientSetDefaultAuth`).
pub fn reset(conn: &mut Conn) {
    conn.auth = ConnAuth::new(&conn.core.node.acl);
    conn.set_user_name();
}

/// Submits one ACL change to group 0 and answers once this node applied it.
pub async fn change(core: &Rc<Core>, op: &[u8], args: Vec<Bytes>) -> Reply {
    let mut argv = Vec::with_capacity(args.len() + 2);
    argv.push(Bytes::from_static(ACL_OP.as_bytes()));
    argv.push(Bytes::copy_from_slice(op));
    argv.extend(args);
    let r = propose(core, false, argv).await;
    match r {
        Reply::Array(mut v) if v.len() == 2 => {
            let seq = match v.pop() {
                Some(Reply::Integer(n)) => u64::try_from(n).unwrap_or(0),
                _ => 0,
            };
            // This node's replica of group 0 may apply it a moment after
            // the leader answered: wait (bounded), so the client's next
            // AUTH here sees its change.
            for _ in 0..3000 {
                if core.node.acl.load().seq >= seq {
                    break;
                }
                monoio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
            v.pop().unwrap_or_else(Reply::ok)
        }
        other => other,
    }
}

/// `COREKV.ACLOP ...`: routed to group 0's leader like a write.
pub async fn propose(core: &Rc<Core>, proxied: bool, argv: Vec<Bytes>) -> Reply {
    let gidx = core.node.groups.iter().position(|g| g.id == 0).unwrap_or(0);
    core.submit_as(proxied, gidx, argv, true).resolve().await
}

/// What core 0 proposes at start: `--aclfile`'s users and `--requirepass`
/// become the cluster's, once group 0 has a leader (retried meanwhile).
pub async fn startup(core: Rc<Core>) {
    let args = core.node.args.clone();
    if args.aclfile.is_none() && args.requirepass.is_none() {
        return;
    }
    let Ok(acl) = initial(&args) else { return };
    let mut ops: Vec<(&[u8], Vec<Bytes>)> = Vec::new();
    if args.aclfile.is_some() {
        ops.push((acl::OP_LOAD, vec![Bytes::from(acl.to_file())]));
    }
    if let Some(p) = &args.requirepass {
        let hash = (!p.is_empty()).then(|| Bytes::from(acl::hash_password(p.as_bytes())));
        ops.push((acl::OP_REQUIREPASS, hash.into_iter().collect()));
    }
    for (op, a) in ops {
        for _ in 0..600 {
            let r = change(&core, op, a.clone()).await;
            if !r.is_error() {
                break;
            }
            monoio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

/// `CONFIG SET requirepass <value>`.
pub async fn set_requirepass(core: &Rc<Core>, value: &[u8]) -> Reply {
    let hash = (!value.is_empty()).then(|| Bytes::from(acl::hash_password(value)));
    let r = change(core, acl::OP_REQUIREPASS, hash.into_iter().collect()).await;
    if !r.is_error()
        && let Ok(mut p) = core.node.acl.requirepass.lock()
    {
        *p = String::from_utf8_lossy(value).into_owned();
    }
    r
}

fn bulk(s: &str) -> Reply {
    Reply::Bulk(Bytes::copy_from_slice(s.as_bytes()))
}

/// `ACL <sub> ...` (dispatch checked the arity).
pub async fn command(conn: &mut Conn, sub: AclSub, argv: &[Bytes]) -> Reply {
    let node = conn.core.node.clone();
    let arg = |i: usize| argv.get(i).map(|b| b.as_ref()).unwrap_or(b"");
    if matches!(sub, AclSub::Cat | AclSub::GenPass | AclSub::Log) && argv.len() > 3 {
        // Redis's addReplySubcommandSyntaxError (the table's arity is -2).
        return errors::err(&format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try ACL HELP.",
            String::from_utf8_lossy(arg(1))
        ));
    }
    match sub {
        AclSub::SetUser => {
            let name = arg(2);
            let rules = argv.get(3..).unwrap_or(&[]);
            // Checked here first (Redis's own errors, all or nothing), then
            // applied by group 0 on every node.
            let mut probe = (*node.acl.load()).clone();
            if let Err(e) = probe.setuser(name, rules) {
                return errors::err(&e);
            }
            let mut args = vec![Bytes::copy_from_slice(name)];
            args.extend(acl::hash_rules(rules));
            change(&conn.core, acl::OP_SETUSER, args).await
        }
        AclSub::DelUser => {
            let names = argv.get(2..).unwrap_or(&[]);
            if names.iter().any(|n| n.as_ref() == b"default") {
                return errors::err("ERR The 'default' user cannot be removed");
            }
            change(&conn.core, acl::OP_DELUSER, names.to_vec()).await
        }
        AclSub::GetUser => {
            let acl = node.acl.load();
            let Some(u) = acl.get(arg(2)) else {
                return Reply::Nil;
            };
            Reply::Map(vec![
                (
                    bulk("flags"),
                    Reply::Set(u.flags().iter().map(|f| bulk(f)).collect()),
                ),
                (
                    bulk("passwords"),
                    Reply::Array(u.passwords().iter().map(|p| bulk(p)).collect()),
                ),
                (bulk("commands"), bulk(&u.command_rules())),
                (bulk("keys"), bulk(&u.keys_rules())),
                (bulk("channels"), bulk(&u.channels_rules())),
                (bulk("selectors"), Reply::Array(Vec::new())),
            ])
        }
        AclSub::Users => Reply::Array(node.acl.load().users().map(|u| bulk(&u.name)).collect()),
        AclSub::List => Reply::Array(node.acl.load().list().iter().map(|l| bulk(l)).collect()),
        AclSub::WhoAmI => bulk(&conn.auth.user.name),
        AclSub::Cat => match argv.get(2) {
            None => Reply::Array(acl::CATEGORIES.iter().map(|c| bulk(c)).collect()),
            Some(c) => match acl::category(c) {
                Some(i) => Reply::Array(acl::category_commands(i).into_iter().map(bulk).collect()),
                None => errors::err(&format!(
                    "ERR Unknown category '{}'",
                    String::from_utf8_lossy(c.get(..128.min(c.len())).unwrap_or(c))
                )),
            },
        },
        AclSub::GenPass => {
            let bits = match argv.get(2) {
                None => 256,
                Some(b) => match std::str::from_utf8(b)
                    .ok()
                    .and_then(|s| s.parse::<i64>().ok())
                {
                    Some(n) => n,
                    None => return errors::err(errors::NOT_INTEGER),
                },
            };
            if !(1..=4096).contains(&bits) {
                return errors::err(
                    "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096",
                );
            }
            let chars = ((bits + 3) / 4) as usize;
            match random_hex(chars) {
                Some(s) => bulk(&s),
                None => errors::err("ERR cannot read random bytes"),
            }
        }
        AclSub::Log => acl_log(&node.acl, argv.get(2)),
        AclSub::DryRun => dryrun(&node.acl.load(), argv),
        AclSub::Save => {
            let Some(path) = &node.acl.file else {
                return errors::err(acl::NO_ACL_FILE);
            };
            // A small file, written whole and renamed, as Redis does.
            let text = node.acl.load().to_file();
            let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
            let r = std::fs::write(&tmp, text.as_bytes()).and_then(|_| std::fs::rename(&tmp, path));
            match r {
                Ok(()) => Reply::ok(),
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    eprintln!("corekv: ACL SAVE to {}: {e}", path.display());
                    errors::err(
                        "ERR There was an error trying to save the ACLs. Please check the server logs for more information",
                    )
                }
            }
        }
        AclSub::Load => {
            let Some(path) = &node.acl.file else {
                return errors::err(acl::NO_ACL_FILE);
            };
            let text = match std::fs::read(path) {
                Ok(t) => t,
                Err(e) => {
                    return errors::err(&format!(
                        "ERR Error loading ACLs, opening file '{}': {e}",
                        path.display()
                    ));
                }
            };
            let parsed = match Acl::from_file(&text, &path.display().to_string()) {
                Ok(a) => a,
                Err(e) => return errors::err(&format!("ERR {e}")),
            };
            change(
                &conn.core,
                acl::OP_LOAD,
                vec![Bytes::from(parsed.to_file())],
            )
            .await
        }
        AclSub::Help => table::help_reply(b"ACL", HELP),
    }
}

const HELP: &[&str] = &[
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
];

fn random_hex(chars: usize) -> Option<String> {
    let mut buf = vec![0u8; chars.div_ceil(2)];
    let mut filled = 0;
    while filled < buf.len() {
        let rest = buf.get_mut(filled..)?;
        let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        if n <= 0 {
            return None;
        }
        filled += n as usize;
    }
    let mut s = String::with_capacity(chars + 1);
    for b in buf {
        s.push_str(&format!("{b:02x}"));
    }
    s.truncate(chars);
    Some(s)
}

/// `ACL LOG [count | RESET]`.
fn acl_log(node: &NodeAcl, arg: Option<&Bytes>) -> Reply {
    let mut count = 10usize;
    if let Some(a) = arg {
        if a.eq_ignore_ascii_case(b"reset") {
            if let Ok(mut log) = node.log.lock() {
                log.clear();
            }
            return Reply::ok();
        }
        match std::str::from_utf8(a)
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
        {
            Some(n) => count = usize::try_from(n.max(0)).unwrap_or(0),
            None => return errors::err(errors::NOT_INTEGER),
        }
    }
    let now = crate::node::unix_ms();
    let Ok(log) = node.log.lock() else {
        return Reply::Array(Vec::new());
    };
    Reply::Array(
        log.iter()
            .take(count)
            .map(|e| {
                Reply::Map(vec![
                    (bulk("count"), Reply::Integer(e.count as i64)),
                    (bulk("reason"), bulk(e.reason)),
                    (bulk("context"), bulk(e.context)),
                    (bulk("object"), bulk(&e.object)),
                    (bulk("username"), bulk(&e.username)),
                    (
                        bulk("age-seconds"),
                        Reply::Double(now.saturating_sub(e.ctime_ms) as f64 / 1000.0),
                    ),
                    (bulk("client-info"), bulk(&e.cinfo)),
                ])
            })
            .collect(),
    )
}

/// `ACL DRYRUN user command [arg ...]`.
fn dryrun(acl: &Acl, argv: &[Bytes]) -> Reply {
    let name = argv.get(2).cloned().unwrap_or_default();
    let Some(u) = acl.get(&name) else {
        return errors::err(&format!(
            "ERR User '{}' not found",
            String::from_utf8_lossy(&name)
        ));
    };
    let cmd = argv.get(3..).unwrap_or(&[]);
    let spec = match table::find(cmd) {
        Some(s) if acl::command_id(s).is_some() => s,
        _ => {
            return errors::err(&format!(
                "ERR Command '{}' not found",
                String::from_utf8_lossy(cmd.first().map_or(&[][..], |c| c.as_ref()))
            ));
        }
    };
    if table::check_arity(spec, cmd.len()).is_err() {
        return errors::err(&format!(
            "ERR wrong number of arguments for '{}' command",
            spec.name
        ));
    }
    let text = |i: usize| {
        cmd.get(i)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .unwrap_or_default()
    };
    match u.check(spec, cmd) {
        Ok(()) => Reply::ok(),
        Err(Denied::Command) => bulk(&format!(
            "This user has no permissions to run the '{}' command",
            spec.name
        )),
        Err(Denied::Key(i)) => bulk(&format!(
            "This user has no permissions to access the '{}' key",
            text(i)
        )),
        Err(Denied::Channel(i)) => bulk(&format!(
            "This user has no permissions to access the '{}' channel",
            text(i)
        )),
    }
}
