//! The command definitions: one `CommandSpec` per command, transcribed from
//! Redis 7.0.15's `src/commands/*.json` with Redis's derived values already
//! applied (implicit ACL categories, hidden flags dropped, legacy key range),
//! so `COMMAND INFO` / `COMMAND DOCS` print exactly what Redis 7.0 prints.
//!
//! Adding a command is one entry here (with its handler: a function of a
//! `core/src/cmd/<family>.rs`, or a `ServerCmd` the io layer runs);
//! `super::tests` checks the entry's internal consistency (flag/category
//! order, implicit categories, key range vs key specs, handler vs route)
//! and that every family function has exactly one entry, and the build
//! fails on a duplicate name. The unlisted and internal entries at the end
//! are corekv's own; they carry no documentation because `COMMAND` never
//! shows them.

use super::{
    AclSub, Arg, ArgType, BeginSearch, ClientSub, CommandSpec, CommandSub, ConfigSub, FindKeys,
    Handler, KeySpec, Merge, PubsubSub, Route, ServerCmd, Visibility,
};
use crate::cmd::{
    bitmap, blocking, geo, hash, hll, keys, lcs, list, set, stream, strings, txn, zset,
};

pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "ping",
        arity: -1,
        flags: &["fast"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@fast", "@connection"],
        group: "connection",
        since: "1.0.0",
        summary: "Ping the server",
        complexity: "O(1)",
        route: Route::Server,
        handler: Handler::Server(ServerCmd::Ping),
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        args: &[Arg::new("message", ArgType::String).optional()],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "echo",
        arity: 2,
        flags: &["loading", "stale", "fast"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@fast", "@connection"],
        group: "connection",
        since: "1.0.0",
        summary: "Echo the given string",
        complexity: "O(1)",
        route: Route::Server,
        handler: Handler::Server(ServerCmd::Echo),
        args: &[Arg::new("message", ArgType::String)],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hello",
        arity: -1,
        flags: &[
            "noscript",
            "loading",
            "stale",
            "fast",
            "no_auth",
            "allow_busy",
        ],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@fast", "@connection"],
        group: "connection",
        since: "6.0.0",
        summary: "Handshake with Redis",
        complexity: "O(1)",
        route: Route::Server,
        handler: Handler::Server(ServerCmd::Hello),
        history: &[(
            "6.2.0",
            "`protover` made optional; when called without arguments the command reports the current connection's context.",
        )],
        args: &[Arg::new("arguments", ArgType::Block).optional().args(&[
            Arg::new("protover", ArgType::Integer),
            Arg::new("username_password", ArgType::Block)
                .token("AUTH")
                .optional()
                .args(&[
                    Arg::new("username", ArgType::String),
                    Arg::new("password", ArgType::String),
                ]),
            Arg::new("clientname", ArgType::String)
                .token("SETNAME")
                .optional(),
        ])],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "quit",
        arity: -1,
        flags: &[
            "noscript",
            "loading",
            "stale",
            "fast",
            "no_auth",
            "allow_busy",
        ],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@fast", "@connection"],
        group: "connection",
        since: "1.0.0",
        summary: "Close the connection",
        complexity: "O(1)",
        route: Route::Server,
        handler: Handler::Server(ServerCmd::Quit),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "reset",
        arity: 1,
        flags: &[
            "noscript",
            "loading",
            "stale",
            "fast",
            "no_auth",
            "allow_busy",
        ],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@fast", "@connection"],
        group: "connection",
        since: "6.2.0",
        summary: "Reset the connection",
        complexity: "O(1)",
        route: Route::Server,
        handler: Handler::Server(ServerCmd::Reset),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "auth",
        arity: -2,
        flags: &[
            "noscript",
            "loading",
            "stale",
            "fast",
            "no_auth",
            "allow_busy",
        ],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@fast", "@connection"],
        group: "connection",
        since: "1.0.0",
        summary: "Authenticate to the server",
        complexity: "O(N) where N is the number of passwords defined for the user",
        route: Route::Server,
        handler: Handler::Server(ServerCmd::Auth),
        history: &[("6.0.0", "Added ACL style (username and password).")],
        args: &[
            Arg::new("username", ArgType::String)
                .since("6.0.0")
                .optional(),
            Arg::new("password", ArgType::String),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "acl",
        arity: -2,
        flags: &[],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@slow"],
        group: "server",
        since: "6.0.0",
        summary: "A container for Access List Control commands ",
        complexity: "Depends on subcommand.",
        route: Route::Server,
        handler: Handler::Container,
        subcommands: &[
            CommandSpec {
                name: "acl|cat",
                arity: -2,
                flags: &["noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@slow"],
                group: "server",
                since: "6.0.0",
                summary: "List the ACL categories or the commands inside a category",
                complexity: "O(1) since the categories and commands are a fixed set.",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Acl(AclSub::Cat)),
                args: &[Arg::new("categoryname", ArgType::String).optional()],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "acl|deluser",
                arity: -3,
                flags: &["admin", "noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@admin", "@slow", "@dangerous"],
                group: "server",
                since: "6.0.0",
                summary: "Remove the specified ACL users and the associated rules",
                complexity: "O(1) amortized time considering the typical user.",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Acl(AclSub::DelUser)),
                args: &[Arg::new("username", ArgType::String).multiple()],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "acl|dryrun",
                arity: -4,
                flags: &["admin", "noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@admin", "@slow", "@dangerous"],
                group: "server",
                since: "7.0.0",
                summary: "Returns whether the user can execute the given command without executing the command.",
                complexity: "O(1).",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Acl(AclSub::DryRun)),
                args: &[
                    Arg::new("username", ArgType::String),
                    Arg::new("command", ArgType::String),
                    Arg::new("arg", ArgType::String).optional().multiple(),
                ],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "acl|genpass",
                arity: -2,
                flags: &["noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@slow"],
                group: "server",
                since: "6.0.0",
                summary: "Generate a pseudorandom secure password to use for ACL users",
                complexity: "O(1)",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Acl(AclSub::GenPass)),
                args: &[Arg::new("bits", ArgType::Integer).optional()],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "acl|getuser",
                arity: 3,
                flags: &["admin", "noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@admin", "@slow", "@dangerous"],
                group: "server",
                since: "6.0.0",
                summary: "Get the rules for a specific ACL user",
                complexity: "O(N). Where N is the number of password, command and pattern rules that the user has.",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Acl(AclSub::GetUser)),
                history: &[
                    ("6.2.0", "Added Pub/Sub channel patterns."),
                    (
                        "7.0.0",
                        "Added selectors and changed the format of key and channel patterns from a list to their rule representation.",
                    ),
                ],
                args: &[Arg::new("username", ArgType::String)],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "acl|help",
                arity: 2,
                flags: &["loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@slow"],
                group: "server",
                since: "6.0.0",
                summary: "Show helpful text about the different subcommands",
                complexity: "O(1)",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Acl(AclSub::Help)),
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "acl|list",
                arity: 2,
                flags: &["admin", "noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@admin", "@slow", "@dangerous"],
                group: "server",
                since: "6.0.0",
                summary: "List the current ACL rules in ACL config file format",
                complexity: "O(N). Where N is the number of configured users.",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Acl(AclSub::List)),
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "acl|load",
                arity: 2,
                flags: &["admin", "noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@admin", "@slow", "@dangerous"],
                group: "server",
                since: "6.0.0",
                summary: "Reload the ACLs from the configured ACL file",
                complexity: "O(N). Where N is the number of configured users.",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Acl(AclSub::Load)),
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "acl|log",
                arity: -2,
                flags: &["admin", "noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@admin", "@slow", "@dangerous"],
                group: "server",
                since: "6.0.0",
                summary: "List latest events denied because of ACLs in place",
                complexity: "O(N) with N being the number of entries shown.",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Acl(AclSub::Log)),
                args: &[Arg::new("operation", ArgType::OneOf).optional().args(&[
                    Arg::new("count", ArgType::Integer),
                    Arg::new("reset", ArgType::PureToken).token("RESET"),
                ])],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "acl|save",
                arity: 2,
                flags: &["admin", "noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@admin", "@slow", "@dangerous"],
                group: "server",
                since: "6.0.0",
                summary: "Save the current ACL rules in the configured ACL file",
                complexity: "O(N). Where N is the number of configured users.",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Acl(AclSub::Save)),
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "acl|setuser",
                arity: -3,
                flags: &["admin", "noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@admin", "@slow", "@dangerous"],
                group: "server",
                since: "6.0.0",
                summary: "Modify or create the rules for a specific ACL user",
                complexity: "O(N). Where N is the number of rules provided.",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Acl(AclSub::SetUser)),
                history: &[
                    ("6.2.0", "Added Pub/Sub channel patterns."),
                    ("7.0.0", "Added selectors and key based permissions."),
                ],
                args: &[
                    Arg::new("username", ArgType::String),
                    Arg::new("rule", ArgType::String).optional().multiple(),
                ],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "acl|users",
                arity: 2,
                flags: &["admin", "noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@admin", "@slow", "@dangerous"],
                group: "server",
                since: "6.0.0",
                summary: "List the username of all the configured ACL rules",
                complexity: "O(N). Where N is the number of configured users.",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Acl(AclSub::Users)),
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "acl|whoami",
                arity: 2,
                flags: &["noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@slow"],
                group: "server",
                since: "6.0.0",
                summary: "Return the name of the user associated to the current connection",
                complexity: "O(1)",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Acl(AclSub::WhoAmI)),
                ..CommandSpec::BASE
            },
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "select",
        arity: 2,
        flags: &["loading", "stale", "fast"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@fast", "@connection"],
        group: "connection",
        since: "1.0.0",
        summary: "Change the selected database for the current connection",
        complexity: "O(1)",
        route: Route::Server,
        handler: Handler::Server(ServerCmd::Select),
        args: &[Arg::new("index", ArgType::Integer)],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "client",
        arity: -2,
        flags: &[],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@slow"],
        group: "connection",
        since: "2.4.0",
        summary: "A container for client connection commands",
        complexity: "Depends on subcommand.",
        route: Route::Server,
        handler: Handler::Container,
        subcommands: &[
            CommandSpec {
                name: "client|caching",
                arity: 3,
                flags: &["noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@slow", "@connection"],
                group: "connection",
                since: "6.0.0",
                summary: "Instruct the server about tracking or not keys in the next request",
                complexity: "O(1)",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Client(ClientSub::Caching)),
                args: &[Arg::new("mode", ArgType::OneOf).args(&[
                    Arg::new("yes", ArgType::PureToken).token("YES"),
                    Arg::new("no", ArgType::PureToken).token("NO"),
                ])],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "client|getname",
                arity: 2,
                flags: &["noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@slow", "@connection"],
                group: "connection",
                since: "2.6.9",
                summary: "Get the current connection name",
                complexity: "O(1)",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Client(ClientSub::GetName)),
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "client|getredir",
                arity: 2,
                flags: &["noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@slow", "@connection"],
                group: "connection",
                since: "6.0.0",
                summary: "Get tracking notifications redirection client ID if any",
                complexity: "O(1)",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Client(ClientSub::GetRedir)),
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "client|help",
                arity: 2,
                flags: &["loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@slow", "@connection"],
                group: "connection",
                since: "5.0.0",
                summary: "Show helpful text about the different subcommands",
                complexity: "O(1)",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Client(ClientSub::Help)),
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "client|id",
                arity: 2,
                flags: &["noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@slow", "@connection"],
                group: "connection",
                since: "5.0.0",
                summary: "Returns the client ID for the current connection",
                complexity: "O(1)",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Client(ClientSub::Id)),
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "client|info",
                arity: 2,
                flags: &["noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@slow", "@connection"],
                group: "connection",
                since: "6.2.0",
                summary: "Returns information about the current client connection.",
                complexity: "O(1)",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Client(ClientSub::Info)),
                tips: &["nondeterministic_output"],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "client|kill",
                arity: -3,
                flags: &["admin", "noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@admin", "@slow", "@dangerous", "@connection"],
                group: "connection",
                since: "2.4.0",
                summary: "Kill the connection of a client",
                complexity: "O(N) where N is the number of client connections",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Client(ClientSub::Kill)),
                history: &[
                    ("2.8.12", "Added new filter format."),
                    ("2.8.12", "`ID` option."),
                    ("3.2.0", "Added `master` type in for `TYPE` option."),
                    (
                        "5.0.0",
                        "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility.",
                    ),
                    ("6.2.0", "`LADDR` option."),
                ],
                args: &[Arg::new("filter", ArgType::OneOf).args(&[
                    Arg::new("ip:port", ArgType::String).deprecated_since("2.8.12"),
                    Arg::new("new-format", ArgType::OneOf).multiple().args(&[
                        Arg::new("client-id", ArgType::Integer)
                            .token("ID")
                            .since("2.8.12")
                            .optional(),
                        Arg::new("normal_master_slave_pubsub", ArgType::OneOf)
                            .token("TYPE")
                            .since("2.8.12")
                            .optional()
                            .args(&[
                                Arg::new("normal", ArgType::PureToken).token("NORMAL"),
                                Arg::new("master", ArgType::PureToken)
                                    .token("MASTER")
                                    .since("3.2.0"),
                                Arg::new("slave", ArgType::PureToken).token("SLAVE"),
                                Arg::new("replica", ArgType::PureToken)
                                    .token("REPLICA")
                                    .since("5.0.0"),
                                Arg::new("pubsub", ArgType::PureToken).token("PUBSUB"),
                            ]),
                        Arg::new("username", ArgType::String)
                            .token("USER")
                            .optional(),
                        Arg::new("ip:port", ArgType::String)
                            .token("ADDR")
                            .optional(),
                        Arg::new("ip:port", ArgType::String)
                            .token("LADDR")
                            .since("6.2.0")
                            .optional(),
                        Arg::new("yes/no", ArgType::String)
                            .token("SKIPME")
                            .optional(),
                    ]),
                ])],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "client|list",
                arity: -2,
                flags: &["admin", "noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@admin", "@slow", "@dangerous", "@connection"],
                group: "connection",
                since: "2.4.0",
                summary: "Get the list of client connections",
                complexity: "O(N) where N is the number of client connections",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Client(ClientSub::List)),
                tips: &["nondeterministic_output"],
                history: &[
                    ("2.8.12", "Added unique client `id` field."),
                    ("5.0.0", "Added optional `TYPE` filter."),
                    ("6.0.0", "Added `user` field."),
                    (
                        "6.2.0",
                        "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter.",
                    ),
                    (
                        "7.0.0",
                        "Added `resp`, `multi-mem`, `rbs` and `rbp` fields.",
                    ),
                    ("7.0.3", "Added `ssub` field."),
                ],
                args: &[
                    Arg::new("normal_master_replica_pubsub", ArgType::OneOf)
                        .token("TYPE")
                        .since("5.0.0")
                        .optional()
                        .args(&[
                            Arg::new("normal", ArgType::PureToken).token("NORMAL"),
                            Arg::new("master", ArgType::PureToken).token("MASTER"),
                            Arg::new("replica", ArgType::PureToken).token("REPLICA"),
                            Arg::new("pubsub", ArgType::PureToken).token("PUBSUB"),
                        ]),
                    Arg::new("id", ArgType::Block)
                        .token("ID")
                        .since("6.2.0")
                        .optional()
                        .args(&[Arg::new("client-id", ArgType::Integer).multiple()]),
                ],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "client|no-evict",
                arity: 3,
                flags: &["admin", "noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@admin", "@slow", "@dangerous", "@connection"],
                group: "connection",
                since: "7.0.0",
                summary: "Set client eviction mode for the current connection",
                complexity: "O(1)",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Client(ClientSub::NoEvict)),
                args: &[Arg::new("enabled", ArgType::OneOf).args(&[
                    Arg::new("on", ArgType::PureToken).token("ON"),
                    Arg::new("off", ArgType::PureToken).token("OFF"),
                ])],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "client|setname",
                arity: 3,
                flags: &["noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@slow", "@connection"],
                group: "connection",
                since: "2.6.9",
                summary: "Set the current connection name",
                complexity: "O(1)",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Client(ClientSub::SetName)),
                args: &[Arg::new("connection-name", ArgType::String)],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "client|tracking",
                arity: -3,
                flags: &["noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@slow", "@connection"],
                group: "connection",
                since: "6.0.0",
                summary: "Enable or disable server assisted client side caching support",
                complexity: "O(1). Some options may introduce additional complexity.",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Client(ClientSub::Tracking)),
                args: &[
                    Arg::new("status", ArgType::OneOf).args(&[
                        Arg::new("on", ArgType::PureToken).token("ON"),
                        Arg::new("off", ArgType::PureToken).token("OFF"),
                    ]),
                    Arg::new("client-id", ArgType::Integer)
                        .token("REDIRECT")
                        .optional(),
                    Arg::new("prefix", ArgType::String)
                        .token("PREFIX")
                        .optional()
                        .multiple()
                        .multiple_token(),
                    Arg::new("bcast", ArgType::PureToken)
                        .token("BCAST")
                        .optional(),
                    Arg::new("optin", ArgType::PureToken)
                        .token("OPTIN")
                        .optional(),
                    Arg::new("optout", ArgType::PureToken)
                        .token("OPTOUT")
                        .optional(),
                    Arg::new("noloop", ArgType::PureToken)
                        .token("NOLOOP")
                        .optional(),
                ],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "client|trackinginfo",
                arity: 2,
                flags: &["noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@slow", "@connection"],
                group: "connection",
                since: "6.2.0",
                summary: "Return information about server assisted client side caching for the current connection",
                complexity: "O(1)",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Client(ClientSub::TrackingInfo)),
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "client|unblock",
                arity: -3,
                flags: &["admin", "noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@admin", "@slow", "@dangerous", "@connection"],
                group: "connection",
                since: "5.0.0",
                summary: "Unblock a client blocked in a blocking command from a different connection",
                complexity: "O(log N) where N is the number of client connections",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Client(ClientSub::Unblock)),
                args: &[
                    Arg::new("client-id", ArgType::Integer),
                    Arg::new("timeout_error", ArgType::OneOf).optional().args(&[
                        Arg::new("timeout", ArgType::PureToken).token("TIMEOUT"),
                        Arg::new("error", ArgType::PureToken).token("ERROR"),
                    ]),
                ],
                ..CommandSpec::BASE
            },
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "command",
        arity: -1,
        flags: &["loading", "stale"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@slow", "@connection"],
        group: "server",
        since: "2.8.13",
        summary: "Get array of Redis command details",
        complexity: "O(N) where N is the total number of Redis commands",
        route: Route::Server,
        handler: Handler::Server(ServerCmd::Command(CommandSub::All)),
        tips: &["nondeterministic_output_order"],
        subcommands: &[
            CommandSpec {
                name: "command|count",
                arity: 2,
                flags: &["loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@slow", "@connection"],
                group: "server",
                since: "2.8.13",
                summary: "Get total number of Redis commands",
                complexity: "O(1)",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Command(CommandSub::Count)),
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "command|docs",
                arity: -2,
                flags: &["loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@slow", "@connection"],
                group: "server",
                since: "7.0.0",
                summary: "Get array of specific Redis command documentation",
                complexity: "O(N) where N is the number of commands to look up",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Command(CommandSub::Docs)),
                tips: &["nondeterministic_output_order"],
                args: &[Arg::new("command-name", ArgType::String)
                    .optional()
                    .multiple()],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "command|getkeys",
                arity: -4,
                flags: &["loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@slow", "@connection"],
                group: "server",
                since: "2.8.13",
                summary: "Extract keys given a full Redis command",
                complexity: "O(N) where N is the number of arguments to the command",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Command(CommandSub::GetKeys)),
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "command|getkeysandflags",
                arity: -4,
                flags: &["loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@slow", "@connection"],
                group: "server",
                since: "7.0.0",
                summary: "Extract keys and access flags given a full Redis command",
                complexity: "O(N) where N is the number of arguments to the command",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Command(CommandSub::GetKeysAndFlags)),
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "command|help",
                arity: 2,
                flags: &["loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@slow", "@connection"],
                group: "server",
                since: "5.0.0",
                summary: "Show helpful text about the different subcommands",
                complexity: "O(1)",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Command(CommandSub::Help)),
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "command|info",
                arity: -2,
                flags: &["loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@slow", "@connection"],
                group: "server",
                since: "2.8.13",
                summary: "Get array of specific Redis command details, or all when no argument is given.",
                complexity: "O(N) where N is the number of commands to look up",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Command(CommandSub::Info)),
                tips: &["nondeterministic_output_order"],
                history: &[(
                    "7.0.0",
                    "Allowed to be called with no argument to get info on all commands.",
                )],
                args: &[Arg::new("command-name", ArgType::String)
                    .optional()
                    .multiple()],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "command|list",
                arity: -2,
                flags: &["loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@slow", "@connection"],
                group: "server",
                since: "7.0.0",
                summary: "Get an array of Redis command names",
                complexity: "O(N) where N is the total number of Redis commands",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Command(CommandSub::List)),
                tips: &["nondeterministic_output_order"],
                args: &[Arg::new("filterby", ArgType::OneOf)
                    .token("FILTERBY")
                    .optional()
                    .args(&[
                        Arg::new("module-name", ArgType::String).token("MODULE"),
                        Arg::new("category", ArgType::String).token("ACLCAT"),
                        Arg::new("pattern", ArgType::Pattern).token("PATTERN"),
                    ])],
                ..CommandSpec::BASE
            },
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "info",
        arity: -1,
        flags: &["loading", "stale"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@slow", "@dangerous"],
        group: "server",
        since: "1.0.0",
        summary: "Get information and statistics about the server",
        complexity: "O(1)",
        route: Route::Server,
        handler: Handler::Server(ServerCmd::Info),
        tips: &[
            "nondeterministic_output",
            "request_policy:all_shards",
            "response_policy:special",
        ],
        history: &[(
            "7.0.0",
            "Added support for taking multiple section arguments.",
        )],
        args: &[Arg::new("section", ArgType::String).optional().multiple()],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "config",
        arity: -2,
        flags: &[],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@slow"],
        group: "server",
        since: "2.0.0",
        summary: "A container for server configuration commands",
        complexity: "Depends on subcommand.",
        route: Route::Server,
        handler: Handler::Container,
        subcommands: &[
            CommandSpec {
                name: "config|get",
                arity: -3,
                flags: &["admin", "noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@admin", "@slow", "@dangerous"],
                group: "server",
                since: "2.0.0",
                summary: "Get the values of configuration parameters",
                complexity: "O(N) when N is the number of configuration parameters provided",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Config(ConfigSub::Get)),
                history: &[(
                    "7.0.0",
                    "Added the ability to pass multiple pattern parameters in one call",
                )],
                args: &[Arg::new("parameter", ArgType::Block)
                    .multiple()
                    .args(&[Arg::new("parameter", ArgType::String)])],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "config|help",
                arity: 2,
                flags: &["loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@slow"],
                group: "server",
                since: "5.0.0",
                summary: "Show helpful text about the different subcommands",
                complexity: "O(1)",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Config(ConfigSub::Help)),
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "config|resetstat",
                arity: 2,
                flags: &["admin", "noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@admin", "@slow", "@dangerous"],
                group: "server",
                since: "2.0.0",
                summary: "Reset the stats returned by INFO",
                complexity: "O(1)",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Config(ConfigSub::ResetStat)),
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "config|set",
                arity: -4,
                flags: &["admin", "noscript", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@admin", "@slow", "@dangerous"],
                group: "server",
                since: "2.0.0",
                summary: "Set configuration parameters to the given values",
                complexity: "O(N) when N is the number of configuration parameters provided",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Config(ConfigSub::Set)),
                tips: &["request_policy:all_nodes", "response_policy:all_succeeded"],
                history: &[(
                    "7.0.0",
                    "Added the ability to set multiple parameters in one call.",
                )],
                args: &[Arg::new("parameter_value", ArgType::Block)
                    .multiple()
                    .args(&[
                        Arg::new("parameter", ArgType::String),
                        Arg::new("value", ArgType::String),
                    ])],
                ..CommandSpec::BASE
            },
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "dbsize",
        arity: 1,
        flags: &["readonly", "fast"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@keyspace", "@read", "@fast"],
        group: "server",
        since: "1.0.0",
        summary: "Return the number of keys in the selected database",
        complexity: "O(1)",
        route: Route::AllGroups {
            write: false,
            merge: Merge::Sum,
        },
        handler: Handler::Read(keys::dbsize),
        tips: &["request_policy:all_shards", "response_policy:agg_sum"],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "flushall",
        arity: -1,
        flags: &["write"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@keyspace", "@write", "@slow", "@dangerous"],
        group: "server",
        since: "1.0.0",
        summary: "Remove all keys from all databases",
        complexity: "O(N) where N is the total number of keys in all databases",
        route: Route::AllGroups {
            write: true,
            merge: Merge::AllOk,
        },
        handler: Handler::Write {
            precheck: Some(keys::precheck_flush),
            apply: keys::flushall,
        },
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        history: &[
            ("4.0.0", "Added the `ASYNC` flushing mode modifier."),
            ("6.2.0", "Added the `SYNC` flushing mode modifier."),
        ],
        args: &[Arg::new("async", ArgType::OneOf).optional().args(&[
            Arg::new("async", ArgType::PureToken)
                .token("ASYNC")
                .since("4.0.0"),
            Arg::new("sync", ArgType::PureToken)
                .token("SYNC")
                .since("6.2.0"),
        ])],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "flushdb",
        arity: -1,
        flags: &["write"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@keyspace", "@write", "@slow", "@dangerous"],
        group: "server",
        since: "1.0.0",
        summary: "Remove all keys from the current database",
        complexity: "O(N) where N is the number of keys in the selected database",
        route: Route::AllGroups {
            write: true,
            merge: Merge::AllOk,
        },
        handler: Handler::Write {
            precheck: Some(keys::precheck_flush),
            apply: keys::flushdb,
        },
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        history: &[
            ("4.0.0", "Added the `ASYNC` flushing mode modifier."),
            ("6.2.0", "Added the `SYNC` flushing mode modifier."),
        ],
        args: &[Arg::new("async", ArgType::OneOf).optional().args(&[
            Arg::new("async", ArgType::PureToken)
                .token("ASYNC")
                .since("4.0.0"),
            Arg::new("sync", ArgType::PureToken)
                .token("SYNC")
                .since("6.2.0"),
        ])],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "time",
        arity: 1,
        flags: &["loading", "stale", "fast"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@fast"],
        group: "server",
        since: "2.6.0",
        summary: "Return the current server time",
        complexity: "O(1)",
        route: Route::Server,
        handler: Handler::Server(ServerCmd::Time),
        tips: &["nondeterministic_output"],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "lastsave",
        arity: 1,
        flags: &["loading", "stale", "fast"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@admin", "@fast", "@dangerous"],
        group: "server",
        since: "1.0.0",
        summary: "Get the UNIX time stamp of the last successful save to disk",
        complexity: "O(1)",
        route: Route::Server,
        handler: Handler::Server(ServerCmd::LastSave),
        tips: &["nondeterministic_output"],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "get",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@string", "@fast"],
        group: "string",
        since: "1.0.0",
        summary: "Get the value of a key",
        complexity: "O(1)",
        route: Route::Keyed { write: false },
        handler: Handler::Read(strings::get),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0)],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "set",
        arity: -3,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@slow"],
        group: "string",
        since: "1.0.0",
        summary: "Set the string value of a key",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(strings::precheck_set),
            apply: strings::set,
        },
        key_specs: &[KeySpec {
            notes: Some("RW and ACCESS due to the optional `GET` argument"),
            flags: &["RW", "access", "update", "variable_flags"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[
            ("2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."),
            ("6.0.0", "Added the `KEEPTTL` option."),
            ("6.2.0", "Added the `GET`, `EXAT` and `PXAT` option."),
            (
                "7.0.0",
                "Allowed the `NX` and `GET` options to be used together.",
            ),
        ],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("value", ArgType::String),
            Arg::new("condition", ArgType::OneOf)
                .since("2.6.12")
                .optional()
                .args(&[
                    Arg::new("nx", ArgType::PureToken).token("NX"),
                    Arg::new("xx", ArgType::PureToken).token("XX"),
                ]),
            Arg::new("get", ArgType::PureToken)
                .token("GET")
                .since("6.2.0")
                .optional(),
            Arg::new("expiration", ArgType::OneOf).optional().args(&[
                Arg::new("seconds", ArgType::Integer)
                    .token("EX")
                    .since("2.6.12"),
                Arg::new("milliseconds", ArgType::Integer)
                    .token("PX")
                    .since("2.6.12"),
                Arg::new("unix-time-seconds", ArgType::UnixTime)
                    .token("EXAT")
                    .since("6.2.0"),
                Arg::new("unix-time-milliseconds", ArgType::UnixTime)
                    .token("PXAT")
                    .since("6.2.0"),
                Arg::new("keepttl", ArgType::PureToken)
                    .token("KEEPTTL")
                    .since("6.0.0"),
            ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "setnx",
        arity: 3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        group: "string",
        since: "1.0.0",
        summary: "Set the value of a key, only if the key does not exist",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: strings::setnx,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["OW", "insert"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("value", ArgType::String),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "setex",
        arity: 4,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@slow"],
        group: "string",
        since: "2.0.0",
        summary: "Set the value and expiration of a key",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(strings::precheck_setex),
            apply: strings::setex,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["OW", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("seconds", ArgType::Integer),
            Arg::new("value", ArgType::String),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "psetex",
        arity: 4,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@slow"],
        group: "string",
        since: "2.6.0",
        summary: "Set the value and expiration in milliseconds of a key",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(strings::precheck_psetex),
            apply: strings::psetex,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["OW", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("milliseconds", ArgType::Integer),
            Arg::new("value", ArgType::String),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "getset",
        arity: 3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        group: "string",
        since: "1.0.0",
        summary: "Set the string value of a key and return its old value",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: strings::getset,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "access", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        doc_flags: &["deprecated"],
        deprecated_since: Some("6.2.0"),
        replaced_by: Some("`SET` with the `!GET` argument"),
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("value", ArgType::String),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "getdel",
        arity: 2,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        group: "string",
        since: "6.2.0",
        summary: "Get the value of a key and delete the key",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: strings::getdel,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "access", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0)],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "getex",
        arity: -2,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        group: "string",
        since: "6.2.0",
        summary: "Get the value of a key and optionally set its expiration",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(strings::precheck_getex),
            apply: strings::getex,
        },
        key_specs: &[KeySpec {
            notes: Some("RW and UPDATE because it changes the TTL"),
            flags: &["RW", "access", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("expiration", ArgType::OneOf).optional().args(&[
                Arg::new("seconds", ArgType::Integer).token("EX"),
                Arg::new("milliseconds", ArgType::Integer).token("PX"),
                Arg::new("unix-time-seconds", ArgType::UnixTime).token("EXAT"),
                Arg::new("unix-time-milliseconds", ArgType::UnixTime).token("PXAT"),
                Arg::new("persist", ArgType::PureToken).token("PERSIST"),
            ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "mget",
        arity: -2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@read", "@string", "@fast"],
        group: "string",
        since: "1.0.0",
        summary: "Get the values of all the given keys",
        complexity: "O(N) where N is the number of keys to retrieve.",
        route: Route::PerKey {
            write: false,
            merge: Merge::InOrder,
        },
        handler: Handler::Read(strings::mget),
        tips: &["request_policy:multi_shard"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: -1,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0).multiple()],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "mset",
        arity: -3,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: -1,
        step: 2,
        acl_categories: &["@write", "@string", "@slow"],
        group: "string",
        since: "1.0.1",
        summary: "Set multiple keys to multiple values",
        complexity: "O(N) where N is the number of keys to set.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(strings::precheck_mset),
            apply: strings::mset,
        },
        tips: &[
            "request_policy:multi_shard",
            "response_policy:all_succeeded",
        ],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["OW", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: -1,
                key_step: 2,
                limit: 0,
            },
        }],
        args: &[Arg::new("key_value", ArgType::Block).multiple().args(&[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("value", ArgType::String),
        ])],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "msetnx",
        arity: -3,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: -1,
        step: 2,
        acl_categories: &["@write", "@string", "@slow"],
        group: "string",
        since: "1.0.1",
        summary: "Set multiple keys to multiple values, only if none of the keys exist",
        complexity: "O(N) where N is the number of keys to set.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(strings::precheck_msetnx),
            apply: strings::msetnx,
        },
        tips: &["request_policy:multi_shard", "response_policy:agg_min"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["OW", "insert"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: -1,
                key_step: 2,
                limit: 0,
            },
        }],
        args: &[Arg::new("key_value", ArgType::Block).multiple().args(&[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("value", ArgType::String),
        ])],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "incr",
        arity: 2,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        group: "string",
        since: "1.0.0",
        summary: "Increment the integer value of a key by one",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: strings::incr,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "access", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0)],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "decr",
        arity: 2,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        group: "string",
        since: "1.0.0",
        summary: "Decrement the integer value of a key by one",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: strings::decr,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "access", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0)],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "incrby",
        arity: 3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        group: "string",
        since: "1.0.0",
        summary: "Increment the integer value of a key by the given amount",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(strings::precheck_incrby),
            apply: strings::incrby,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "access", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("increment", ArgType::Integer),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "decrby",
        arity: 3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        group: "string",
        since: "1.0.0",
        summary: "Decrement the integer value of a key by the given number",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(strings::precheck_decrby),
            apply: strings::decrby,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "access", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("decrement", ArgType::Integer),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "incrbyfloat",
        arity: 3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        group: "string",
        since: "2.6.0",
        summary: "Increment the float value of a key by the given amount",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(strings::precheck_incrbyfloat),
            apply: strings::incrbyfloat,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "access", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("increment", ArgType::Double),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "append",
        arity: 3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        group: "string",
        since: "2.0.0",
        summary: "Append a value to a key",
        complexity: "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: strings::append,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "insert"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("value", ArgType::String),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "strlen",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@string", "@fast"],
        group: "string",
        since: "2.2.0",
        summary: "Get the length of the value stored in a key",
        complexity: "O(1)",
        route: Route::Keyed { write: false },
        handler: Handler::Read(strings::strlen),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0)],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "getrange",
        arity: 4,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@string", "@slow"],
        group: "string",
        since: "2.4.0",
        summary: "Get a substring of the string stored at a key",
        complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(strings::getrange),
        heavy: true,
        heavy_size: Some(super::HeavySize(strings::size_range)),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("start", ArgType::Integer),
            Arg::new("end", ArgType::Integer),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "setrange",
        arity: 4,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@string", "@slow"],
        group: "string",
        since: "2.2.0",
        summary: "Overwrite part of a string at key starting at the specified offset",
        complexity: "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(strings::precheck_setrange),
            apply: strings::setrange,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("offset", ArgType::Integer),
            Arg::new("value", ArgType::String),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "substr",
        arity: 4,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@string", "@slow"],
        group: "string",
        since: "1.0.0",
        summary: "Get a substring of the string stored at a key",
        complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(strings::substr),
        heavy: true,
        heavy_size: Some(super::HeavySize(strings::size_range)),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        doc_flags: &["deprecated"],
        deprecated_since: Some("2.0.0"),
        replaced_by: Some("`GETRANGE`"),
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("start", ArgType::Integer),
            Arg::new("end", ArgType::Integer),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "lcs",
        arity: -3,
        flags: &["readonly"],
        first_key: 1,
        last_key: 2,
        step: 1,
        acl_categories: &["@read", "@string", "@slow"],
        group: "string",
        since: "7.0.0",
        summary: "Find longest common substring",
        complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively",
        route: Route::Keyed { write: false },
        handler: Handler::Read(lcs::lcs),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 1,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key1", ArgType::Key).key_spec(0),
            Arg::new("key2", ArgType::Key).key_spec(0),
            Arg::new("len", ArgType::PureToken).token("LEN").optional(),
            Arg::new("idx", ArgType::PureToken).token("IDX").optional(),
            Arg::new("len", ArgType::Integer)
                .token("MINMATCHLEN")
                .optional(),
            Arg::new("withmatchlen", ArgType::PureToken)
                .token("WITHMATCHLEN")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "del",
        arity: -2,
        flags: &["write"],
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@slow"],
        group: "generic",
        since: "1.0.0",
        summary: "Delete a key",
        complexity: "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
        route: Route::PerKey {
            write: true,
            merge: Merge::Sum,
        },
        handler: Handler::Write {
            precheck: None,
            apply: keys::del,
        },
        tips: &["request_policy:multi_shard", "response_policy:agg_sum"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RM", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: -1,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0).multiple()],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "unlink",
        arity: -2,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        group: "generic",
        since: "4.0.0",
        summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
        complexity: "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
        route: Route::PerKey {
            write: true,
            merge: Merge::Sum,
        },
        handler: Handler::Write {
            precheck: None,
            apply: keys::unlink,
        },
        tips: &["request_policy:multi_shard", "response_policy:agg_sum"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RM", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: -1,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0).multiple()],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "wait",
        arity: 3,
        flags: &["noscript"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@slow", "@connection"],
        group: "generic",
        since: "3.0.0",
        summary: "Wait for the synchronous replication of all the write commands sent in the context of the current connection",
        complexity: "O(1)",
        route: Route::Server,
        handler: Handler::Server(ServerCmd::Wait),
        tips: &["request_policy:all_shards", "response_policy:agg_min"],
        args: &[
            Arg::new("numreplicas", ArgType::Integer),
            Arg::new("timeout", ArgType::Integer),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "exists",
        arity: -2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        group: "generic",
        since: "1.0.0",
        summary: "Determine if a key exists",
        complexity: "O(N) where N is the number of keys to check.",
        route: Route::PerKey {
            write: false,
            merge: Merge::Sum,
        },
        handler: Handler::Read(keys::exists),
        tips: &["request_policy:multi_shard", "response_policy:agg_sum"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: -1,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("3.0.3", "Accepts multiple `key` arguments.")],
        args: &[Arg::new("key", ArgType::Key).key_spec(0).multiple()],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "touch",
        arity: -2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        group: "generic",
        since: "3.2.1",
        summary: "Alters the last access time of a key(s). Returns the number of existing keys specified.",
        complexity: "O(N) where N is the number of keys that will be touched.",
        route: Route::PerKey {
            write: false,
            merge: Merge::Sum,
        },
        handler: Handler::Read(keys::touch),
        tips: &["request_policy:multi_shard", "response_policy:agg_sum"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: -1,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0).multiple()],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "type",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        group: "generic",
        since: "1.0.0",
        summary: "Determine the type stored at key",
        complexity: "O(1)",
        route: Route::Keyed { write: false },
        handler: Handler::Read(keys::type_of),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0)],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "rename",
        arity: 3,
        flags: &["write"],
        first_key: 1,
        last_key: 2,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@slow"],
        group: "generic",
        since: "1.0.0",
        summary: "Rename a key",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: keys::rename,
        },
        key_specs: &[
            KeySpec {
                notes: None,
                flags: &["RW", "access", "delete"],
                begin_search: BeginSearch::Index(1),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                notes: None,
                flags: &["OW", "update"],
                begin_search: BeginSearch::Index(2),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
        ],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("newkey", ArgType::Key).key_spec(1),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "renamenx",
        arity: 3,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 2,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        group: "generic",
        since: "1.0.0",
        summary: "Rename a key, only if the new key does not exist",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: keys::renamenx,
        },
        key_specs: &[
            KeySpec {
                notes: None,
                flags: &["RW", "access", "delete"],
                begin_search: BeginSearch::Index(1),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                notes: None,
                flags: &["OW", "insert"],
                begin_search: BeginSearch::Index(2),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
        ],
        history: &[(
            "3.2.0",
            "The command no longer returns an error when source and destination names are the same.",
        )],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("newkey", ArgType::Key).key_spec(1),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "copy",
        arity: -3,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: 2,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@slow"],
        group: "generic",
        since: "6.2.0",
        summary: "Copy a key",
        complexity: "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(keys::precheck_copy),
            apply: keys::copy,
        },
        key_specs: &[
            KeySpec {
                notes: None,
                flags: &["RO", "access"],
                begin_search: BeginSearch::Index(1),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                notes: None,
                flags: &["OW", "update"],
                begin_search: BeginSearch::Index(2),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
        ],
        args: &[
            Arg::new("source", ArgType::Key).key_spec(0),
            Arg::new("destination", ArgType::Key).key_spec(1),
            Arg::new("destination-db", ArgType::Integer)
                .token("DB")
                .optional(),
            Arg::new("replace", ArgType::PureToken)
                .token("REPLACE")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "expire",
        arity: -3,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        group: "generic",
        since: "1.0.0",
        summary: "Set a key's time to live in seconds",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(keys::precheck_expire),
            apply: keys::expire,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("seconds", ArgType::Integer),
            Arg::new("condition", ArgType::OneOf)
                .since("7.0.0")
                .optional()
                .args(&[
                    Arg::new("nx", ArgType::PureToken).token("NX"),
                    Arg::new("xx", ArgType::PureToken).token("XX"),
                    Arg::new("gt", ArgType::PureToken).token("GT"),
                    Arg::new("lt", ArgType::PureToken).token("LT"),
                ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "pexpire",
        arity: -3,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        group: "generic",
        since: "2.6.0",
        summary: "Set a key's time to live in milliseconds",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(keys::precheck_pexpire),
            apply: keys::pexpire,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("milliseconds", ArgType::Integer),
            Arg::new("condition", ArgType::OneOf)
                .since("7.0.0")
                .optional()
                .args(&[
                    Arg::new("nx", ArgType::PureToken).token("NX"),
                    Arg::new("xx", ArgType::PureToken).token("XX"),
                    Arg::new("gt", ArgType::PureToken).token("GT"),
                    Arg::new("lt", ArgType::PureToken).token("LT"),
                ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "expireat",
        arity: -3,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        group: "generic",
        since: "1.2.0",
        summary: "Set the expiration for a key as a UNIX timestamp",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(keys::precheck_expireat),
            apply: keys::expireat,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("unix-time-seconds", ArgType::UnixTime),
            Arg::new("condition", ArgType::OneOf)
                .since("7.0.0")
                .optional()
                .args(&[
                    Arg::new("nx", ArgType::PureToken).token("NX"),
                    Arg::new("xx", ArgType::PureToken).token("XX"),
                    Arg::new("gt", ArgType::PureToken).token("GT"),
                    Arg::new("lt", ArgType::PureToken).token("LT"),
                ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "pexpireat",
        arity: -3,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        group: "generic",
        since: "2.6.0",
        summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(keys::precheck_pexpireat),
            apply: keys::pexpireat,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("unix-time-milliseconds", ArgType::UnixTime),
            Arg::new("condition", ArgType::OneOf)
                .since("7.0.0")
                .optional()
                .args(&[
                    Arg::new("nx", ArgType::PureToken).token("NX"),
                    Arg::new("xx", ArgType::PureToken).token("XX"),
                    Arg::new("gt", ArgType::PureToken).token("GT"),
                    Arg::new("lt", ArgType::PureToken).token("LT"),
                ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "ttl",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        group: "generic",
        since: "1.0.0",
        summary: "Get the time to live for a key in seconds",
        complexity: "O(1)",
        route: Route::Keyed { write: false },
        handler: Handler::Read(keys::ttl),
        tips: &["nondeterministic_output"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("2.8.0", "Added the -2 reply.")],
        args: &[Arg::new("key", ArgType::Key).key_spec(0)],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "pttl",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        group: "generic",
        since: "2.6.0",
        summary: "Get the time to live for a key in milliseconds",
        complexity: "O(1)",
        route: Route::Keyed { write: false },
        handler: Handler::Read(keys::pttl),
        tips: &["nondeterministic_output"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("2.8.0", "Added the -2 reply.")],
        args: &[Arg::new("key", ArgType::Key).key_spec(0)],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "expiretime",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        group: "generic",
        since: "7.0.0",
        summary: "Get the expiration Unix timestamp for a key",
        complexity: "O(1)",
        route: Route::Keyed { write: false },
        handler: Handler::Read(keys::expiretime),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0)],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "pexpiretime",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        group: "generic",
        since: "7.0.0",
        summary: "Get the expiration Unix timestamp for a key in milliseconds",
        complexity: "O(1)",
        route: Route::Keyed { write: false },
        handler: Handler::Read(keys::pexpiretime),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0)],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "persist",
        arity: 2,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        group: "generic",
        since: "2.2.0",
        summary: "Remove the expiration from a key",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: keys::persist,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0)],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "keys",
        arity: 2,
        flags: &["readonly"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@keyspace", "@read", "@slow", "@dangerous"],
        group: "generic",
        since: "1.0.0",
        summary: "Find all keys matching the given pattern",
        complexity: "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
        route: Route::AllGroups {
            write: false,
            merge: Merge::Concat,
        },
        handler: Handler::Read(keys::keys),
        heavy: true,
        tips: &["request_policy:all_shards", "nondeterministic_output_order"],
        args: &[Arg::new("pattern", ArgType::Pattern)],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "scan",
        arity: -2,
        flags: &["readonly"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@keyspace", "@read", "@slow"],
        group: "generic",
        since: "2.8.0",
        summary: "Incrementally iterate the keys space",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
        route: Route::Slot,
        handler: Handler::Read(keys::scan),
        heavy: true,
        tips: &["nondeterministic_output", "request_policy:special"],
        history: &[("6.0.0", "Added the `TYPE` subcommand.")],
        args: &[
            Arg::new("cursor", ArgType::Integer),
            Arg::new("pattern", ArgType::Pattern)
                .token("MATCH")
                .optional(),
            Arg::new("count", ArgType::Integer)
                .token("COUNT")
                .optional(),
            Arg::new("type", ArgType::String)
                .token("TYPE")
                .since("6.0.0")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "randomkey",
        arity: 1,
        flags: &["readonly"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@keyspace", "@read", "@slow"],
        group: "generic",
        since: "1.0.0",
        summary: "Return a random key from the keyspace",
        complexity: "O(1)",
        route: Route::AllGroups {
            write: false,
            merge: Merge::AnyNonNil,
        },
        handler: Handler::Read(keys::randomkey),
        tips: &["request_policy:all_shards", "nondeterministic_output"],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "object",
        arity: -2,
        flags: &[],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@slow"],
        group: "generic",
        since: "2.2.3",
        summary: "A container for object introspection commands",
        complexity: "Depends on subcommand.",
        route: Route::Keyed { write: false },
        handler: Handler::Container,
        subcommands: &[
            CommandSpec {
                name: "object|encoding",
                arity: 3,
                flags: &["readonly"],
                first_key: 2,
                last_key: 2,
                step: 1,
                acl_categories: &["@keyspace", "@read", "@slow"],
                group: "generic",
                since: "2.2.3",
                summary: "Inspect the internal encoding of a Redis object",
                complexity: "O(1)",
                route: Route::Keyed { write: false },
                handler: Handler::Read(keys::object_encoding),
                tips: &["nondeterministic_output"],
                key_specs: &[KeySpec {
                    notes: None,
                    flags: &["RO"],
                    begin_search: BeginSearch::Index(2),
                    find_keys: FindKeys::Range {
                        last_key: 0,
                        key_step: 1,
                        limit: 0,
                    },
                }],
                args: &[Arg::new("key", ArgType::Key).key_spec(0)],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "object|freq",
                arity: 3,
                flags: &["readonly"],
                first_key: 2,
                last_key: 2,
                step: 1,
                acl_categories: &["@keyspace", "@read", "@slow"],
                group: "generic",
                since: "4.0.0",
                summary: "Get the logarithmic access frequency counter of a Redis object",
                complexity: "O(1)",
                route: Route::Keyed { write: false },
                handler: Handler::Read(keys::object_freq),
                tips: &["nondeterministic_output"],
                key_specs: &[KeySpec {
                    notes: None,
                    flags: &["RO"],
                    begin_search: BeginSearch::Index(2),
                    find_keys: FindKeys::Range {
                        last_key: 0,
                        key_step: 1,
                        limit: 0,
                    },
                }],
                args: &[Arg::new("key", ArgType::Key).key_spec(0)],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "object|help",
                arity: 2,
                flags: &["loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@keyspace", "@slow"],
                group: "generic",
                since: "6.2.0",
                summary: "Show helpful text about the different subcommands",
                complexity: "O(1)",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::ObjectHelp),
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "object|idletime",
                arity: 3,
                flags: &["readonly"],
                first_key: 2,
                last_key: 2,
                step: 1,
                acl_categories: &["@keyspace", "@read", "@slow"],
                group: "generic",
                since: "2.2.3",
                summary: "Get the time since a Redis object was last accessed",
                complexity: "O(1)",
                route: Route::Keyed { write: false },
                handler: Handler::Read(keys::object_idletime),
                tips: &["nondeterministic_output"],
                key_specs: &[KeySpec {
                    notes: None,
                    flags: &["RO"],
                    begin_search: BeginSearch::Index(2),
                    find_keys: FindKeys::Range {
                        last_key: 0,
                        key_step: 1,
                        limit: 0,
                    },
                }],
                args: &[Arg::new("key", ArgType::Key).key_spec(0)],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "object|refcount",
                arity: 3,
                flags: &["readonly"],
                first_key: 2,
                last_key: 2,
                step: 1,
                acl_categories: &["@keyspace", "@read", "@slow"],
                group: "generic",
                since: "2.2.3",
                summary: "Get the number of references to the value of the key",
                complexity: "O(1)",
                route: Route::Keyed { write: false },
                handler: Handler::Read(keys::object_refcount),
                tips: &["nondeterministic_output"],
                key_specs: &[KeySpec {
                    notes: None,
                    flags: &["RO"],
                    begin_search: BeginSearch::Index(2),
                    find_keys: FindKeys::Range {
                        last_key: 0,
                        key_step: 1,
                        limit: 0,
                    },
                }],
                args: &[Arg::new("key", ArgType::Key).key_spec(0)],
                ..CommandSpec::BASE
            },
        ],
        ..CommandSpec::BASE
    },
    // ---- blocking lists (issue 10) ----
    CommandSpec {
        name: "blpop",
        arity: -3,
        flags: &["write", "noscript", "blocking"],
        first_key: 1,
        last_key: -2,
        step: 1,
        acl_categories: &["@write", "@list", "@slow", "@blocking"],
        group: "list",
        since: "2.0.0",
        summary: "Remove and get the first element in a list, or block until one is available",
        complexity: "O(N) where N is the number of provided keys.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(blocking::precheck_bpop),
            apply: blocking::blpop,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "access", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: -2,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[(
            "6.0.0",
            "`timeout` is interpreted as a double instead of an integer.",
        )],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0).multiple(),
            Arg::new("timeout", ArgType::Double),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "brpop",
        arity: -3,
        flags: &["write", "noscript", "blocking"],
        first_key: 1,
        last_key: -2,
        step: 1,
        acl_categories: &["@write", "@list", "@slow", "@blocking"],
        group: "list",
        since: "2.0.0",
        summary: "Remove and get the last element in a list, or block until one is available",
        complexity: "O(N) where N is the number of provided keys.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(blocking::precheck_bpop),
            apply: blocking::brpop,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "access", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: -2,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[(
            "6.0.0",
            "`timeout` is interpreted as a double instead of an integer.",
        )],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0).multiple(),
            Arg::new("timeout", ArgType::Double),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "blmove",
        arity: 6,
        flags: &["write", "denyoom", "noscript", "blocking"],
        first_key: 1,
        last_key: 2,
        step: 1,
        acl_categories: &["@write", "@list", "@slow", "@blocking"],
        group: "list",
        since: "6.2.0",
        summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(blocking::precheck_blmove),
            apply: blocking::blmove,
        },
        key_specs: &[
            KeySpec {
                notes: None,
                flags: &["RW", "access", "delete"],
                begin_search: BeginSearch::Index(1),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                notes: None,
                flags: &["RW", "insert"],
                begin_search: BeginSearch::Index(2),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
        ],
        args: &[
            Arg::new("source", ArgType::Key).key_spec(0),
            Arg::new("destination", ArgType::Key).key_spec(1),
            Arg::new("wherefrom", ArgType::OneOf).args(&[
                Arg::new("left", ArgType::PureToken).token("LEFT"),
                Arg::new("right", ArgType::PureToken).token("RIGHT"),
            ]),
            Arg::new("whereto", ArgType::OneOf).args(&[
                Arg::new("left", ArgType::PureToken).token("LEFT"),
                Arg::new("right", ArgType::PureToken).token("RIGHT"),
            ]),
            Arg::new("timeout", ArgType::Double),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "brpoplpush",
        arity: 4,
        flags: &["write", "denyoom", "noscript", "blocking"],
        first_key: 1,
        last_key: 2,
        step: 1,
        acl_categories: &["@write", "@list", "@slow", "@blocking"],
        group: "list",
        since: "2.2.0",
        summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(blocking::precheck_bpop),
            apply: blocking::brpoplpush,
        },
        key_specs: &[
            KeySpec {
                notes: None,
                flags: &["RW", "access", "delete"],
                begin_search: BeginSearch::Index(1),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                notes: None,
                flags: &["RW", "insert"],
                begin_search: BeginSearch::Index(2),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
        ],
        history: &[(
            "6.0.0",
            "`timeout` is interpreted as a double instead of an integer.",
        )],
        doc_flags: &["deprecated"],
        deprecated_since: Some("6.2.0"),
        replaced_by: Some("`BLMOVE` with the `RIGHT` and `LEFT` arguments"),
        args: &[
            Arg::new("source", ArgType::Key).key_spec(0),
            Arg::new("destination", ArgType::Key).key_spec(1),
            Arg::new("timeout", ArgType::Double),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "blmpop",
        arity: -5,
        flags: &["write", "blocking", "movablekeys"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@write", "@list", "@slow", "@blocking"],
        group: "list",
        since: "7.0.0",
        summary: "Pop elements from a list, or block until one is available",
        complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(blocking::precheck_blmpop),
            apply: blocking::blmpop,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "access", "delete"],
            begin_search: BeginSearch::Index(2),
            find_keys: FindKeys::KeyNum {
                key_num_idx: 0,
                first_key: 1,
                key_step: 1,
            },
        }],
        args: &[
            Arg::new("timeout", ArgType::Double),
            Arg::new("numkeys", ArgType::Integer),
            Arg::new("key", ArgType::Key).key_spec(0).multiple(),
            Arg::new("where", ArgType::OneOf).args(&[
                Arg::new("left", ArgType::PureToken).token("LEFT"),
                Arg::new("right", ArgType::PureToken).token("RIGHT"),
            ]),
            Arg::new("count", ArgType::Integer)
                .token("COUNT")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "bzpopmin",
        arity: -3,
        flags: &["write", "noscript", "blocking", "fast"],
        first_key: 1,
        last_key: -2,
        step: 1,
        acl_categories: &["@write", "@sortedset", "@fast", "@blocking"],
        group: "sorted-set",
        since: "5.0.0",
        summary: "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(blocking::precheck_bpop),
            apply: blocking::bzpopmin,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "access", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: -2,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[(
            "6.0.0",
            "`timeout` is interpreted as a double instead of an integer.",
        )],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0).multiple(),
            Arg::new("timeout", ArgType::Double),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "bzpopmax",
        arity: -3,
        flags: &["write", "noscript", "blocking", "fast"],
        first_key: 1,
        last_key: -2,
        step: 1,
        acl_categories: &["@write", "@sortedset", "@fast", "@blocking"],
        group: "sorted-set",
        since: "5.0.0",
        summary: "Remove and return the member with the highest score from one or more sorted sets, or block until one is available",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(blocking::precheck_bpop),
            apply: blocking::bzpopmax,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "access", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: -2,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[(
            "6.0.0",
            "`timeout` is interpreted as a double instead of an integer.",
        )],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0).multiple(),
            Arg::new("timeout", ArgType::Double),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "bzmpop",
        arity: -5,
        flags: &["write", "blocking", "movablekeys"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@write", "@sortedset", "@slow", "@blocking"],
        group: "sorted-set",
        since: "7.0.0",
        summary: "Remove and return members with scores in a sorted set or block until one is available",
        complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(blocking::precheck_bzmpop),
            apply: blocking::bzmpop,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "access", "delete"],
            begin_search: BeginSearch::Index(2),
            find_keys: FindKeys::KeyNum {
                key_num_idx: 0,
                first_key: 1,
                key_step: 1,
            },
        }],
        args: &[
            Arg::new("timeout", ArgType::Double),
            Arg::new("numkeys", ArgType::Integer),
            Arg::new("key", ArgType::Key).key_spec(0).multiple(),
            Arg::new("where", ArgType::OneOf).args(&[
                Arg::new("min", ArgType::PureToken).token("MIN"),
                Arg::new("max", ArgType::PureToken).token("MAX"),
            ]),
            Arg::new("count", ArgType::Integer)
                .token("COUNT")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    // ---- list (issue 10) ----
    CommandSpec {
        name: "lpush",
        arity: -3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@list", "@fast"],
        group: "list",
        since: "1.0.0",
        summary: "Prepend one or multiple elements to a list",
        complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: list::lpush,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "insert"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("2.4.0", "Accepts multiple `element` arguments.")],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("element", ArgType::String).multiple(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "rpush",
        arity: -3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@list", "@fast"],
        group: "list",
        since: "1.0.0",
        summary: "Append one or multiple elements to a list",
        complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: list::rpush,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "insert"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("2.4.0", "Accepts multiple `element` arguments.")],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("element", ArgType::String).multiple(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "lpushx",
        arity: -3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@list", "@fast"],
        group: "list",
        since: "2.2.0",
        summary: "Prepend an element to a list, only if the list exists",
        complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: list::lpushx,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "insert"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("4.0.0", "Accepts multiple `element` arguments.")],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("element", ArgType::String).multiple(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "rpushx",
        arity: -3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@list", "@fast"],
        group: "list",
        since: "2.2.0",
        summary: "Append an element to a list, only if the list exists",
        complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: list::rpushx,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "insert"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("4.0.0", "Accepts multiple `element` arguments.")],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("element", ArgType::String).multiple(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "lpop",
        arity: -2,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@list", "@fast"],
        group: "list",
        since: "1.0.0",
        summary: "Remove and get the first elements in a list",
        complexity: "O(N) where N is the number of elements returned",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(list::precheck_pop),
            apply: list::lpop,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "access", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("6.2.0", "Added the `count` argument.")],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("count", ArgType::Integer)
                .since("6.2.0")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "rpop",
        arity: -2,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@list", "@fast"],
        group: "list",
        since: "1.0.0",
        summary: "Remove and get the last elements in a list",
        complexity: "O(N) where N is the number of elements returned",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(list::precheck_pop),
            apply: list::rpop,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "access", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("6.2.0", "Added the `count` argument.")],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("count", ArgType::Integer)
                .since("6.2.0")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "llen",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@list", "@fast"],
        group: "list",
        since: "1.0.0",
        summary: "Get the length of a list",
        complexity: "O(1)",
        route: Route::Keyed { write: false },
        handler: Handler::Read(list::llen),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0)],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "lrange",
        arity: 4,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@list", "@slow"],
        group: "list",
        since: "1.0.0",
        summary: "Get a range of elements from a list",
        complexity: "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(list::lrange),
        // 0019 section 4: small ranges stay on the core, big ones go to the pool.
        heavy: true,
        heavy_size: Some(super::HeavySize(list::lrange_size)),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("start", ArgType::Integer),
            Arg::new("stop", ArgType::Integer),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "lindex",
        arity: 3,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@list", "@slow"],
        group: "list",
        since: "1.0.0",
        summary: "Get an element from a list by its index",
        complexity: "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).",
        route: Route::Keyed { write: false },
        handler: Handler::Read(list::lindex),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("index", ArgType::Integer),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "lset",
        arity: 4,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@list", "@slow"],
        group: "list",
        since: "1.0.0",
        summary: "Set the value of an element in a list by its index",
        complexity: "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: list::lset,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("index", ArgType::Integer),
            Arg::new("element", ArgType::String),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "linsert",
        arity: 5,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@list", "@slow"],
        group: "list",
        since: "2.2.0",
        summary: "Insert an element before or after another element in a list",
        complexity: "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(list::precheck_linsert),
            apply: list::linsert,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "insert"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("where", ArgType::OneOf).args(&[
                Arg::new("before", ArgType::PureToken).token("BEFORE"),
                Arg::new("after", ArgType::PureToken).token("AFTER"),
            ]),
            Arg::new("pivot", ArgType::String),
            Arg::new("element", ArgType::String),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "lrem",
        arity: 4,
        flags: &["write"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@list", "@slow"],
        group: "list",
        since: "1.0.0",
        summary: "Remove elements from a list",
        complexity: "O(N+M) where N is the length of the list and M is the number of elements removed.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(list::precheck_lrem),
            apply: list::lrem,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("count", ArgType::Integer),
            Arg::new("element", ArgType::String),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "ltrim",
        arity: 4,
        flags: &["write"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@list", "@slow"],
        group: "list",
        since: "1.0.0",
        summary: "Trim a list to the specified range",
        complexity: "O(N) where N is the number of elements to be removed by the operation.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(list::precheck_range),
            apply: list::ltrim,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("start", ArgType::Integer),
            Arg::new("stop", ArgType::Integer),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "lpos",
        arity: -3,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@list", "@slow"],
        group: "list",
        since: "6.0.6",
        summary: "Return the index of matching elements on a list",
        complexity: "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(list::lpos),
        // 0019 section 4: small ranges stay on the core, big ones go to the pool.
        heavy: true,
        heavy_size: Some(super::HeavySize(list::lpos_size)),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("element", ArgType::String),
            Arg::new("rank", ArgType::Integer).token("RANK").optional(),
            Arg::new("num-matches", ArgType::Integer)
                .token("COUNT")
                .optional(),
            Arg::new("len", ArgType::Integer).token("MAXLEN").optional(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "lmove",
        arity: 5,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: 2,
        step: 1,
        acl_categories: &["@write", "@list", "@slow"],
        group: "list",
        since: "6.2.0",
        summary: "Pop an element from a list, push it to another list and return it",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(list::precheck_lmove),
            apply: list::lmove,
        },
        key_specs: &[
            KeySpec {
                notes: None,
                flags: &["RW", "access", "delete"],
                begin_search: BeginSearch::Index(1),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                notes: None,
                flags: &["RW", "insert"],
                begin_search: BeginSearch::Index(2),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
        ],
        args: &[
            Arg::new("source", ArgType::Key).key_spec(0),
            Arg::new("destination", ArgType::Key).key_spec(1),
            Arg::new("wherefrom", ArgType::OneOf).args(&[
                Arg::new("left", ArgType::PureToken).token("LEFT"),
                Arg::new("right", ArgType::PureToken).token("RIGHT"),
            ]),
            Arg::new("whereto", ArgType::OneOf).args(&[
                Arg::new("left", ArgType::PureToken).token("LEFT"),
                Arg::new("right", ArgType::PureToken).token("RIGHT"),
            ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "rpoplpush",
        arity: 3,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: 2,
        step: 1,
        acl_categories: &["@write", "@list", "@slow"],
        group: "list",
        since: "1.2.0",
        summary: "Remove the last element in a list, prepend it to another list and return it",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: list::rpoplpush,
        },
        key_specs: &[
            KeySpec {
                notes: None,
                flags: &["RW", "access", "delete"],
                begin_search: BeginSearch::Index(1),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                notes: None,
                flags: &["RW", "insert"],
                begin_search: BeginSearch::Index(2),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
        ],
        doc_flags: &["deprecated"],
        deprecated_since: Some("6.2.0"),
        replaced_by: Some("`LMOVE` with the `RIGHT` and `LEFT` arguments"),
        args: &[
            Arg::new("source", ArgType::Key).key_spec(0),
            Arg::new("destination", ArgType::Key).key_spec(1),
        ],
        ..CommandSpec::BASE
    },
    // movablekeys: first_key/last_key/step miss keys; routing must follow key_specs.
    CommandSpec {
        name: "lmpop",
        arity: -4,
        flags: &["write", "movablekeys"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@write", "@list", "@slow"],
        group: "list",
        since: "7.0.0",
        summary: "Pop elements from a list",
        complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(list::precheck_lmpop),
            apply: list::lmpop,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "access", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::KeyNum {
                key_num_idx: 0,
                first_key: 1,
                key_step: 1,
            },
        }],
        args: &[
            Arg::new("numkeys", ArgType::Integer),
            Arg::new("key", ArgType::Key).key_spec(0).multiple(),
            Arg::new("where", ArgType::OneOf).args(&[
                Arg::new("left", ArgType::PureToken).token("LEFT"),
                Arg::new("right", ArgType::PureToken).token("RIGHT"),
            ]),
            Arg::new("count", ArgType::Integer)
                .token("COUNT")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    // ---- hash (issue 10) ----
    CommandSpec {
        name: "hset",
        arity: -4,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@hash", "@fast"],
        group: "hash",
        since: "2.0.0",
        summary: "Set the string value of a hash field",
        complexity: "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(hash::precheck_hset),
            apply: hash::hset,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("4.0.0", "Accepts multiple `field` and `value` arguments.")],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("field_value", ArgType::Block).multiple().args(&[
                Arg::new("field", ArgType::String),
                Arg::new("value", ArgType::String),
            ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hsetnx",
        arity: 4,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@hash", "@fast"],
        group: "hash",
        since: "2.0.0",
        summary: "Set the value of a hash field, only if the field does not exist",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: hash::hsetnx,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "insert"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("field", ArgType::String),
            Arg::new("value", ArgType::String),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hmset",
        arity: -4,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@hash", "@fast"],
        group: "hash",
        since: "2.0.0",
        summary: "Set multiple hash fields to multiple values",
        complexity: "O(N) where N is the number of fields being set.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(hash::precheck_hmset),
            apply: hash::hmset,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        doc_flags: &["deprecated"],
        deprecated_since: Some("4.0.0"),
        replaced_by: Some("`HSET` with multiple field-value pairs"),
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("field_value", ArgType::Block).multiple().args(&[
                Arg::new("field", ArgType::String),
                Arg::new("value", ArgType::String),
            ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hget",
        arity: 3,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@hash", "@fast"],
        group: "hash",
        since: "2.0.0",
        summary: "Get the value of a hash field",
        complexity: "O(1)",
        route: Route::Keyed { write: false },
        handler: Handler::Read(hash::hget),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("field", ArgType::String),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hmget",
        arity: -3,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@hash", "@fast"],
        group: "hash",
        since: "2.0.0",
        summary: "Get the values of all the given hash fields",
        complexity: "O(N) where N is the number of fields being requested.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(hash::hmget),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("field", ArgType::String).multiple(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hdel",
        arity: -3,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@hash", "@fast"],
        group: "hash",
        since: "2.0.0",
        summary: "Delete one or more hash fields",
        complexity: "O(N) where N is the number of fields to be removed.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: hash::hdel,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("2.4.0", "Accepts multiple `field` arguments.")],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("field", ArgType::String).multiple(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hlen",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@hash", "@fast"],
        group: "hash",
        since: "2.0.0",
        summary: "Get the number of fields in a hash",
        complexity: "O(1)",
        route: Route::Keyed { write: false },
        handler: Handler::Read(hash::hlen),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0)],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hexists",
        arity: 3,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@hash", "@fast"],
        group: "hash",
        since: "2.0.0",
        summary: "Determine if a hash field exists",
        complexity: "O(1)",
        route: Route::Keyed { write: false },
        handler: Handler::Read(hash::hexists),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("field", ArgType::String),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hstrlen",
        arity: 3,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@hash", "@fast"],
        group: "hash",
        since: "3.2.0",
        summary: "Get the length of the value of a hash field",
        complexity: "O(1)",
        route: Route::Keyed { write: false },
        handler: Handler::Read(hash::hstrlen),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("field", ArgType::String),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hgetall",
        arity: 2,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@hash", "@slow"],
        group: "hash",
        since: "2.0.0",
        summary: "Get all the fields and values in a hash",
        complexity: "O(N) where N is the size of the hash.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(hash::hgetall),
        heavy: true,
        heavy_size: Some(super::HeavySize(hash::size_all)),
        tips: &["nondeterministic_output_order"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0)],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hkeys",
        arity: 2,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@hash", "@slow"],
        group: "hash",
        since: "2.0.0",
        summary: "Get all the fields in a hash",
        complexity: "O(N) where N is the size of the hash.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(hash::hkeys),
        heavy: true,
        heavy_size: Some(super::HeavySize(hash::size_all)),
        tips: &["nondeterministic_output_order"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0)],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hvals",
        arity: 2,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@hash", "@slow"],
        group: "hash",
        since: "2.0.0",
        summary: "Get all the values in a hash",
        complexity: "O(N) where N is the size of the hash.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(hash::hvals),
        heavy: true,
        heavy_size: Some(super::HeavySize(hash::size_all)),
        tips: &["nondeterministic_output_order"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0)],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hincrby",
        arity: 4,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@hash", "@fast"],
        group: "hash",
        since: "2.0.0",
        summary: "Increment the integer value of a hash field by the given number",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(hash::precheck_hincrby),
            apply: hash::hincrby,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "access", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("field", ArgType::String),
            Arg::new("increment", ArgType::Integer),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hincrbyfloat",
        arity: 4,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@hash", "@fast"],
        group: "hash",
        since: "2.6.0",
        summary: "Increment the float value of a hash field by the given amount",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(hash::precheck_hincrbyfloat),
            apply: hash::hincrbyfloat,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "access", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("field", ArgType::String),
            Arg::new("increment", ArgType::Double),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hscan",
        arity: -3,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@hash", "@slow"],
        group: "hash",
        since: "2.8.0",
        summary: "Incrementally iterate hash fields and associated values",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
        route: Route::Keyed { write: false },
        handler: Handler::Read(hash::hscan),
        heavy: true,
        heavy_size: Some(super::HeavySize(hash::size_hscan)),
        tips: &["nondeterministic_output"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("cursor", ArgType::Integer),
            Arg::new("pattern", ArgType::Pattern)
                .token("MATCH")
                .optional(),
            Arg::new("count", ArgType::Integer)
                .token("COUNT")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "hrandfield",
        arity: -2,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@hash", "@slow"],
        group: "hash",
        since: "6.2.0",
        summary: "Get one or multiple random fields from a hash",
        complexity: "O(N) where N is the number of fields returned",
        route: Route::Keyed { write: false },
        handler: Handler::Read(hash::hrandfield),
        heavy: true,
        heavy_size: Some(super::HeavySize(hash::size_hrandfield)),
        tips: &["nondeterministic_output"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("options", ArgType::Block).optional().args(&[
                Arg::new("count", ArgType::Integer),
                Arg::new("withvalues", ArgType::PureToken)
                    .token("WITHVALUES")
                    .optional(),
            ]),
        ],
        ..CommandSpec::BASE
    },
    // ---- set (issue 10) ----
    CommandSpec {
        name: "sadd",
        arity: -3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@set", "@fast"],
        group: "set",
        since: "1.0.0",
        summary: "Add one or more members to a set",
        complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: set::sadd,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "insert"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("2.4.0", "Accepts multiple `member` arguments.")],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("member", ArgType::String).multiple(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "srem",
        arity: -3,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@set", "@fast"],
        group: "set",
        since: "1.0.0",
        summary: "Remove one or more members from a set",
        complexity: "O(N) where N is the number of members to be removed.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: set::srem,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("2.4.0", "Accepts multiple `member` arguments.")],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("member", ArgType::String).multiple(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "scard",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@set", "@fast"],
        group: "set",
        since: "1.0.0",
        summary: "Get the number of members in a set",
        complexity: "O(1)",
        route: Route::Keyed { write: false },
        handler: Handler::Read(set::scard),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0)],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "sismember",
        arity: 3,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@set", "@fast"],
        group: "set",
        since: "1.0.0",
        summary: "Determine if a given value is a member of a set",
        complexity: "O(1)",
        route: Route::Keyed { write: false },
        handler: Handler::Read(set::sismember),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("member", ArgType::String),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "smismember",
        arity: -3,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@set", "@fast"],
        group: "set",
        since: "6.2.0",
        summary: "Returns the membership associated with the given elements for a set",
        complexity: "O(N) where N is the number of elements being checked for membership",
        route: Route::Keyed { write: false },
        handler: Handler::Read(set::smismember),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("member", ArgType::String).multiple(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "smembers",
        arity: 2,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@set", "@slow"],
        group: "set",
        since: "1.0.0",
        summary: "Get all the members in a set",
        complexity: "O(N) where N is the set cardinality.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(set::smembers),
        heavy: true,
        heavy_size: Some(super::HeavySize(set::smembers_size)),
        tips: &["nondeterministic_output_order"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0)],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "spop",
        arity: -2,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@set", "@fast"],
        group: "set",
        since: "1.0.0",
        summary: "Remove and return one or multiple random members from a set",
        complexity: "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(set::precheck_spop),
            apply: set::spop,
        },
        tips: &["nondeterministic_output"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "access", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("3.2.0", "Added the `count` argument.")],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("count", ArgType::Integer)
                .since("3.2.0")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "srandmember",
        arity: -2,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@set", "@slow"],
        group: "set",
        since: "1.0.0",
        summary: "Get one or multiple random members from a set",
        complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(set::srandmember),
        tips: &["nondeterministic_output"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("2.6.0", "Added the optional `count` argument.")],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("count", ArgType::Integer)
                .since("2.6.0")
                .optional(),
        ],
        heavy: true,
        heavy_size: Some(super::HeavySize(set::srandmember_size)),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "smove",
        arity: 4,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 2,
        step: 1,
        acl_categories: &["@write", "@set", "@fast"],
        group: "set",
        since: "1.0.0",
        summary: "Move a member from one set to another",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: set::smove,
        },
        key_specs: &[
            KeySpec {
                notes: None,
                flags: &["RW", "access", "delete"],
                begin_search: BeginSearch::Index(1),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                notes: None,
                flags: &["RW", "insert"],
                begin_search: BeginSearch::Index(2),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
        ],
        args: &[
            Arg::new("source", ArgType::Key).key_spec(0),
            Arg::new("destination", ArgType::Key).key_spec(1),
            Arg::new("member", ArgType::String),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "sinter",
        arity: -2,
        flags: &["readonly"],
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@read", "@set", "@slow"],
        group: "set",
        since: "1.0.0",
        summary: "Intersect multiple sets",
        complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(set::sinter),
        heavy: true,
        tips: &["nondeterministic_output_order"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: -1,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0).multiple()],
        ..CommandSpec::BASE
    },
    // movablekeys: first_key/last_key/step miss keys; routing must follow key_specs.
    CommandSpec {
        name: "sintercard",
        arity: -3,
        flags: &["readonly", "movablekeys"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@read", "@set", "@slow"],
        group: "set",
        since: "7.0.0",
        summary: "Intersect multiple sets and return the cardinality of the result",
        complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(set::sintercard),
        heavy: true,
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::KeyNum {
                key_num_idx: 0,
                first_key: 1,
                key_step: 1,
            },
        }],
        args: &[
            Arg::new("numkeys", ArgType::Integer),
            Arg::new("key", ArgType::Key).key_spec(0).multiple(),
            Arg::new("limit", ArgType::Integer)
                .token("LIMIT")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "sunion",
        arity: -2,
        flags: &["readonly"],
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@read", "@set", "@slow"],
        group: "set",
        since: "1.0.0",
        summary: "Add multiple sets",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(set::sunion),
        heavy: true,
        tips: &["nondeterministic_output_order"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: -1,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0).multiple()],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "sdiff",
        arity: -2,
        flags: &["readonly"],
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@read", "@set", "@slow"],
        group: "set",
        since: "1.0.0",
        summary: "Subtract multiple sets",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(set::sdiff),
        heavy: true,
        tips: &["nondeterministic_output_order"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: -1,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0).multiple()],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "sinterstore",
        arity: -3,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@write", "@set", "@slow"],
        group: "set",
        since: "1.0.0",
        summary: "Intersect multiple sets and store the resulting set in a key",
        complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: set::sinterstore,
        },
        key_specs: &[
            KeySpec {
                notes: None,
                flags: &["RW", "update"],
                begin_search: BeginSearch::Index(1),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                notes: None,
                flags: &["RO", "access"],
                begin_search: BeginSearch::Index(2),
                find_keys: FindKeys::Range {
                    last_key: -1,
                    key_step: 1,
                    limit: 0,
                },
            },
        ],
        args: &[
            Arg::new("destination", ArgType::Key).key_spec(0),
            Arg::new("key", ArgType::Key).key_spec(1).multiple(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "sunionstore",
        arity: -3,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@write", "@set", "@slow"],
        group: "set",
        since: "1.0.0",
        summary: "Add multiple sets and store the resulting set in a key",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: set::sunionstore,
        },
        key_specs: &[
            KeySpec {
                notes: None,
                flags: &["OW", "update"],
                begin_search: BeginSearch::Index(1),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                notes: None,
                flags: &["RO", "access"],
                begin_search: BeginSearch::Index(2),
                find_keys: FindKeys::Range {
                    last_key: -1,
                    key_step: 1,
                    limit: 0,
                },
            },
        ],
        args: &[
            Arg::new("destination", ArgType::Key).key_spec(0),
            Arg::new("key", ArgType::Key).key_spec(1).multiple(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "sdiffstore",
        arity: -3,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@write", "@set", "@slow"],
        group: "set",
        since: "1.0.0",
        summary: "Subtract multiple sets and store the resulting set in a key",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: set::sdiffstore,
        },
        key_specs: &[
            KeySpec {
                notes: None,
                flags: &["OW", "update"],
                begin_search: BeginSearch::Index(1),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                notes: None,
                flags: &["RO", "access"],
                begin_search: BeginSearch::Index(2),
                find_keys: FindKeys::Range {
                    last_key: -1,
                    key_step: 1,
                    limit: 0,
                },
            },
        ],
        args: &[
            Arg::new("destination", ArgType::Key).key_spec(0),
            Arg::new("key", ArgType::Key).key_spec(1).multiple(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "sscan",
        arity: -3,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@set", "@slow"],
        group: "set",
        since: "2.8.0",
        summary: "Incrementally iterate Set elements",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
        route: Route::Keyed { write: false },
        handler: Handler::Read(set::sscan),
        tips: &["nondeterministic_output"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("cursor", ArgType::Integer),
            Arg::new("pattern", ArgType::Pattern)
                .token("MATCH")
                .optional(),
            Arg::new("count", ArgType::Integer)
                .token("COUNT")
                .optional(),
        ],
        heavy: true,
        heavy_size: Some(super::HeavySize(set::sscan_size)),
        ..CommandSpec::BASE
    },
    // ---- zset (issue 10) ----
    CommandSpec {
        name: "zadd",
        arity: -4,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@sortedset", "@fast"],
        group: "sorted-set",
        since: "1.2.0",
        summary: "Add one or more members to a sorted set, or update its score if it already exists",
        complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(zset::precheck_zadd),
            apply: zset::zadd,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[
            ("2.4.0", "Accepts multiple elements."),
            ("3.0.2", "Added the `XX`, `NX`, `CH` and `INCR` options."),
            ("6.2.0", "Added the `GT` and `LT` options."),
        ],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("condition", ArgType::OneOf)
                .since("3.0.2")
                .optional()
                .args(&[
                    Arg::new("nx", ArgType::PureToken).token("NX"),
                    Arg::new("xx", ArgType::PureToken).token("XX"),
                ]),
            Arg::new("comparison", ArgType::OneOf)
                .since("6.2.0")
                .optional()
                .args(&[
                    Arg::new("gt", ArgType::PureToken).token("GT"),
                    Arg::new("lt", ArgType::PureToken).token("LT"),
                ]),
            Arg::new("change", ArgType::PureToken)
                .token("CH")
                .since("3.0.2")
                .optional(),
            Arg::new("increment", ArgType::PureToken)
                .token("INCR")
                .since("3.0.2")
                .optional(),
            Arg::new("score_member", ArgType::Block).multiple().args(&[
                Arg::new("score", ArgType::Double),
                Arg::new("member", ArgType::String),
            ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zincrby",
        arity: 4,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@sortedset", "@fast"],
        group: "sorted-set",
        since: "1.2.0",
        summary: "Increment the score of a member in a sorted set",
        complexity: "O(log(N)) where N is the number of elements in the sorted set.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(zset::precheck_zincrby),
            apply: zset::zincrby,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "access", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("increment", ArgType::Integer),
            Arg::new("member", ArgType::String),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zrem",
        arity: -3,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@sortedset", "@fast"],
        group: "sorted-set",
        since: "1.2.0",
        summary: "Remove one or more members from a sorted set",
        complexity: "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: zset::zrem,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("2.4.0", "Accepts multiple elements.")],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("member", ArgType::String).multiple(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zcard",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@sortedset", "@fast"],
        group: "sorted-set",
        since: "1.2.0",
        summary: "Get the number of members in a sorted set",
        complexity: "O(1)",
        route: Route::Keyed { write: false },
        handler: Handler::Read(zset::zcard),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0)],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zscore",
        arity: 3,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@sortedset", "@fast"],
        group: "sorted-set",
        since: "1.2.0",
        summary: "Get the score associated with the given member in a sorted set",
        complexity: "O(1)",
        route: Route::Keyed { write: false },
        handler: Handler::Read(zset::zscore),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("member", ArgType::String),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zmscore",
        arity: -3,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@sortedset", "@fast"],
        group: "sorted-set",
        since: "6.2.0",
        summary: "Get the score associated with the given members in a sorted set",
        complexity: "O(N) where N is the number of members being requested.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(zset::zmscore),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("member", ArgType::String).multiple(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zrank",
        arity: 3,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@sortedset", "@fast"],
        group: "sorted-set",
        since: "2.0.0",
        summary: "Determine the index of a member in a sorted set",
        complexity: "O(log(N))",
        route: Route::Keyed { write: false },
        handler: Handler::Read(zset::zrank),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("member", ArgType::String),
        ],
        heavy: true,
        heavy_size: Some(super::HeavySize(zset::walk_size)),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zrevrank",
        arity: 3,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@sortedset", "@fast"],
        group: "sorted-set",
        since: "2.0.0",
        summary: "Determine the index of a member in a sorted set, with scores ordered from high to low",
        complexity: "O(log(N))",
        route: Route::Keyed { write: false },
        handler: Handler::Read(zset::zrevrank),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("member", ArgType::String),
        ],
        heavy: true,
        heavy_size: Some(super::HeavySize(zset::walk_size)),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zcount",
        arity: 4,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@sortedset", "@fast"],
        group: "sorted-set",
        since: "2.0.0",
        summary: "Count the members in a sorted set with scores within the given values",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(zset::zcount),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("min", ArgType::Double),
            Arg::new("max", ArgType::Double),
        ],
        heavy: true,
        heavy_size: Some(super::HeavySize(zset::walk_size)),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zlexcount",
        arity: 4,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@sortedset", "@fast"],
        group: "sorted-set",
        since: "2.8.9",
        summary: "Count the number of members in a sorted set between a given lexicographical range",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(zset::zlexcount),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("min", ArgType::String),
            Arg::new("max", ArgType::String),
        ],
        heavy: true,
        heavy_size: Some(super::HeavySize(zset::walk_size)),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zrange",
        arity: -4,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@sortedset", "@slow"],
        group: "sorted-set",
        since: "1.2.0",
        summary: "Return a range of members in a sorted set",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(zset::zrange),
        heavy: true,
        heavy_size: Some(super::HeavySize(zset::range_size)),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[(
            "6.2.0",
            "Added the `REV`, `BYSCORE`, `BYLEX` and `LIMIT` options.",
        )],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("start", ArgType::String),
            Arg::new("stop", ArgType::String),
            Arg::new("sortby", ArgType::OneOf)
                .since("6.2.0")
                .optional()
                .args(&[
                    Arg::new("byscore", ArgType::PureToken).token("BYSCORE"),
                    Arg::new("bylex", ArgType::PureToken).token("BYLEX"),
                ]),
            Arg::new("rev", ArgType::PureToken)
                .token("REV")
                .since("6.2.0")
                .optional(),
            Arg::new("offset_count", ArgType::Block)
                .token("LIMIT")
                .since("6.2.0")
                .optional()
                .args(&[
                    Arg::new("offset", ArgType::Integer),
                    Arg::new("count", ArgType::Integer),
                ]),
            Arg::new("withscores", ArgType::PureToken)
                .token("WITHSCORES")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zrangestore",
        arity: -5,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: 2,
        step: 1,
        acl_categories: &["@write", "@sortedset", "@slow"],
        group: "sorted-set",
        since: "6.2.0",
        summary: "Store a range of members from sorted set into another key",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(zset::precheck_zrangestore),
            apply: zset::zrangestore,
        },
        key_specs: &[
            KeySpec {
                notes: None,
                flags: &["OW", "update"],
                begin_search: BeginSearch::Index(1),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                notes: None,
                flags: &["RO", "access"],
                begin_search: BeginSearch::Index(2),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
        ],
        args: &[
            Arg::new("dst", ArgType::Key).key_spec(0),
            Arg::new("src", ArgType::Key).key_spec(1),
            Arg::new("min", ArgType::String),
            Arg::new("max", ArgType::String),
            Arg::new("sortby", ArgType::OneOf).optional().args(&[
                Arg::new("byscore", ArgType::PureToken).token("BYSCORE"),
                Arg::new("bylex", ArgType::PureToken).token("BYLEX"),
            ]),
            Arg::new("rev", ArgType::PureToken).token("REV").optional(),
            Arg::new("offset_count", ArgType::Block)
                .token("LIMIT")
                .optional()
                .args(&[
                    Arg::new("offset", ArgType::Integer),
                    Arg::new("count", ArgType::Integer),
                ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zrevrange",
        arity: -4,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@sortedset", "@slow"],
        group: "sorted-set",
        since: "1.2.0",
        summary: "Return a range of members in a sorted set, by index, with scores ordered from high to low",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(zset::zrevrange),
        heavy: true,
        heavy_size: Some(super::HeavySize(zset::range_size)),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        doc_flags: &["deprecated"],
        deprecated_since: Some("6.2.0"),
        replaced_by: Some("`ZRANGE` with the `REV` argument"),
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("start", ArgType::Integer),
            Arg::new("stop", ArgType::Integer),
            Arg::new("withscores", ArgType::PureToken)
                .token("WITHSCORES")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zrangebyscore",
        arity: -4,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@sortedset", "@slow"],
        group: "sorted-set",
        since: "1.0.5",
        summary: "Return a range of members in a sorted set, by score",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        route: Route::Keyed { write: false },
        handler: Handler::Read(zset::zrangebyscore),
        heavy: true,
        heavy_size: Some(super::HeavySize(zset::range_size)),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("2.0.0", "Added the `WITHSCORES` modifier.")],
        doc_flags: &["deprecated"],
        deprecated_since: Some("6.2.0"),
        replaced_by: Some("`ZRANGE` with the `BYSCORE` argument"),
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("min", ArgType::Double),
            Arg::new("max", ArgType::Double),
            Arg::new("withscores", ArgType::PureToken)
                .token("WITHSCORES")
                .since("2.0.0")
                .optional(),
            Arg::new("offset_count", ArgType::Block)
                .token("LIMIT")
                .optional()
                .args(&[
                    Arg::new("offset", ArgType::Integer),
                    Arg::new("count", ArgType::Integer),
                ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zrevrangebyscore",
        arity: -4,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@sortedset", "@slow"],
        group: "sorted-set",
        since: "2.2.0",
        summary: "Return a range of members in a sorted set, by score, with scores ordered from high to low",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        route: Route::Keyed { write: false },
        handler: Handler::Read(zset::zrevrangebyscore),
        heavy: true,
        heavy_size: Some(super::HeavySize(zset::range_size)),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("2.1.6", "`min` and `max` can be exclusive.")],
        doc_flags: &["deprecated"],
        deprecated_since: Some("6.2.0"),
        replaced_by: Some("`ZRANGE` with the `REV` and `BYSCORE` arguments"),
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("max", ArgType::Double),
            Arg::new("min", ArgType::Double),
            Arg::new("withscores", ArgType::PureToken)
                .token("WITHSCORES")
                .optional(),
            Arg::new("offset_count", ArgType::Block)
                .token("LIMIT")
                .optional()
                .args(&[
                    Arg::new("offset", ArgType::Integer),
                    Arg::new("count", ArgType::Integer),
                ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zrangebylex",
        arity: -4,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@sortedset", "@slow"],
        group: "sorted-set",
        since: "2.8.9",
        summary: "Return a range of members in a sorted set, by lexicographical range",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        route: Route::Keyed { write: false },
        handler: Handler::Read(zset::zrangebylex),
        heavy: true,
        heavy_size: Some(super::HeavySize(zset::range_size)),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        doc_flags: &["deprecated"],
        deprecated_since: Some("6.2.0"),
        replaced_by: Some("`ZRANGE` with the `BYLEX` argument"),
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("min", ArgType::String),
            Arg::new("max", ArgType::String),
            Arg::new("offset_count", ArgType::Block)
                .token("LIMIT")
                .optional()
                .args(&[
                    Arg::new("offset", ArgType::Integer),
                    Arg::new("count", ArgType::Integer),
                ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zrevrangebylex",
        arity: -4,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@sortedset", "@slow"],
        group: "sorted-set",
        since: "2.8.9",
        summary: "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        route: Route::Keyed { write: false },
        handler: Handler::Read(zset::zrevrangebylex),
        heavy: true,
        heavy_size: Some(super::HeavySize(zset::range_size)),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        doc_flags: &["deprecated"],
        deprecated_since: Some("6.2.0"),
        replaced_by: Some("`ZRANGE` with the `REV` and `BYLEX` arguments"),
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("max", ArgType::String),
            Arg::new("min", ArgType::String),
            Arg::new("offset_count", ArgType::Block)
                .token("LIMIT")
                .optional()
                .args(&[
                    Arg::new("offset", ArgType::Integer),
                    Arg::new("count", ArgType::Integer),
                ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zremrangebyrank",
        arity: 4,
        flags: &["write"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@sortedset", "@slow"],
        group: "sorted-set",
        since: "2.0.0",
        summary: "Remove all members in a sorted set within the given indexes",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(zset::precheck_zremrangebyrank),
            apply: zset::zremrangebyrank,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("start", ArgType::Integer),
            Arg::new("stop", ArgType::Integer),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zremrangebyscore",
        arity: 4,
        flags: &["write"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@sortedset", "@slow"],
        group: "sorted-set",
        since: "1.2.0",
        summary: "Remove all members in a sorted set within the given scores",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(zset::precheck_zremrangebyscore),
            apply: zset::zremrangebyscore,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("min", ArgType::Double),
            Arg::new("max", ArgType::Double),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zremrangebylex",
        arity: 4,
        flags: &["write"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@sortedset", "@slow"],
        group: "sorted-set",
        since: "2.8.9",
        summary: "Remove all members in a sorted set between the given lexicographical range",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(zset::precheck_zremrangebylex),
            apply: zset::zremrangebylex,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("min", ArgType::String),
            Arg::new("max", ArgType::String),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zpopmin",
        arity: -2,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@sortedset", "@fast"],
        group: "sorted-set",
        since: "5.0.0",
        summary: "Remove and return members with the lowest scores in a sorted set",
        complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(zset::precheck_zpop),
            apply: zset::zpopmin,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "access", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("count", ArgType::Integer).optional(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zpopmax",
        arity: -2,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@sortedset", "@fast"],
        group: "sorted-set",
        since: "5.0.0",
        summary: "Remove and return members with the highest scores in a sorted set",
        complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(zset::precheck_zpop),
            apply: zset::zpopmax,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "access", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("count", ArgType::Integer).optional(),
        ],
        ..CommandSpec::BASE
    },
    // movablekeys: first_key/last_key/step miss keys; routing must follow key_specs.
    CommandSpec {
        name: "zmpop",
        arity: -4,
        flags: &["write", "movablekeys"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@write", "@sortedset", "@slow"],
        group: "sorted-set",
        since: "7.0.0",
        summary: "Remove and return members with scores in a sorted set",
        complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(zset::precheck_zmpop),
            apply: zset::zmpop,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "access", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::KeyNum {
                key_num_idx: 0,
                first_key: 1,
                key_step: 1,
            },
        }],
        args: &[
            Arg::new("numkeys", ArgType::Integer),
            Arg::new("key", ArgType::Key).key_spec(0).multiple(),
            Arg::new("where", ArgType::OneOf).args(&[
                Arg::new("min", ArgType::PureToken).token("MIN"),
                Arg::new("max", ArgType::PureToken).token("MAX"),
            ]),
            Arg::new("count", ArgType::Integer)
                .token("COUNT")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zrandmember",
        arity: -2,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@sortedset", "@slow"],
        group: "sorted-set",
        since: "6.2.0",
        summary: "Get one or multiple random elements from a sorted set",
        complexity: "O(N) where N is the number of elements returned",
        route: Route::Keyed { write: false },
        handler: Handler::Read(zset::zrandmember),
        tips: &["nondeterministic_output"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("options", ArgType::Block).optional().args(&[
                Arg::new("count", ArgType::Integer),
                Arg::new("withscores", ArgType::PureToken)
                    .token("WITHSCORES")
                    .optional(),
            ]),
        ],
        heavy: true,
        heavy_size: Some(super::HeavySize(zset::zrandmember_size)),
        ..CommandSpec::BASE
    },
    // movablekeys: first_key/last_key/step miss keys; routing must follow key_specs.
    CommandSpec {
        name: "zunion",
        arity: -3,
        flags: &["readonly", "movablekeys"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@read", "@sortedset", "@slow"],
        group: "sorted-set",
        since: "6.2.0",
        summary: "Add multiple sorted sets",
        complexity: "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(zset::zunion),
        heavy: true,
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::KeyNum {
                key_num_idx: 0,
                first_key: 1,
                key_step: 1,
            },
        }],
        args: &[
            Arg::new("numkeys", ArgType::Integer),
            Arg::new("key", ArgType::Key).key_spec(0).multiple(),
            Arg::new("weight", ArgType::Integer)
                .token("WEIGHTS")
                .optional()
                .multiple(),
            Arg::new("aggregate", ArgType::OneOf)
                .token("AGGREGATE")
                .optional()
                .args(&[
                    Arg::new("sum", ArgType::PureToken).token("SUM"),
                    Arg::new("min", ArgType::PureToken).token("MIN"),
                    Arg::new("max", ArgType::PureToken).token("MAX"),
                ]),
            Arg::new("withscores", ArgType::PureToken)
                .token("WITHSCORES")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    // movablekeys: first_key/last_key/step miss keys; routing must follow key_specs.
    CommandSpec {
        name: "zinter",
        arity: -3,
        flags: &["readonly", "movablekeys"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@read", "@sortedset", "@slow"],
        group: "sorted-set",
        since: "6.2.0",
        summary: "Intersect multiple sorted sets",
        complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(zset::zinter),
        heavy: true,
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::KeyNum {
                key_num_idx: 0,
                first_key: 1,
                key_step: 1,
            },
        }],
        args: &[
            Arg::new("numkeys", ArgType::Integer),
            Arg::new("key", ArgType::Key).key_spec(0).multiple(),
            Arg::new("weight", ArgType::Integer)
                .token("WEIGHTS")
                .optional()
                .multiple(),
            Arg::new("aggregate", ArgType::OneOf)
                .token("AGGREGATE")
                .optional()
                .args(&[
                    Arg::new("sum", ArgType::PureToken).token("SUM"),
                    Arg::new("min", ArgType::PureToken).token("MIN"),
                    Arg::new("max", ArgType::PureToken).token("MAX"),
                ]),
            Arg::new("withscores", ArgType::PureToken)
                .token("WITHSCORES")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    // movablekeys: first_key/last_key/step miss keys; routing must follow key_specs.
    CommandSpec {
        name: "zdiff",
        arity: -3,
        flags: &["readonly", "movablekeys"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@read", "@sortedset", "@slow"],
        group: "sorted-set",
        since: "6.2.0",
        summary: "Subtract multiple sorted sets",
        complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(zset::zdiff),
        heavy: true,
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::KeyNum {
                key_num_idx: 0,
                first_key: 1,
                key_step: 1,
            },
        }],
        args: &[
            Arg::new("numkeys", ArgType::Integer),
            Arg::new("key", ArgType::Key).key_spec(0).multiple(),
            Arg::new("withscores", ArgType::PureToken)
                .token("WITHSCORES")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    // movablekeys: first_key/last_key/step miss keys; routing must follow key_specs.
    CommandSpec {
        name: "zunionstore",
        arity: -4,
        flags: &["write", "denyoom", "movablekeys"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@sortedset", "@slow"],
        group: "sorted-set",
        since: "2.0.0",
        summary: "Add multiple sorted sets and store the resulting sorted set in a new key",
        complexity: "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(zset::precheck_zunionstore),
            apply: zset::zunionstore,
        },
        key_specs: &[
            KeySpec {
                notes: None,
                flags: &["OW", "update"],
                begin_search: BeginSearch::Index(1),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                notes: None,
                flags: &["RO", "access"],
                begin_search: BeginSearch::Index(2),
                find_keys: FindKeys::KeyNum {
                    key_num_idx: 0,
                    first_key: 1,
                    key_step: 1,
                },
            },
        ],
        args: &[
            Arg::new("destination", ArgType::Key).key_spec(0),
            Arg::new("numkeys", ArgType::Integer),
            Arg::new("key", ArgType::Key).key_spec(1).multiple(),
            Arg::new("weight", ArgType::Integer)
                .token("WEIGHTS")
                .optional()
                .multiple(),
            Arg::new("aggregate", ArgType::OneOf)
                .token("AGGREGATE")
                .optional()
                .args(&[
                    Arg::new("sum", ArgType::PureToken).token("SUM"),
                    Arg::new("min", ArgType::PureToken).token("MIN"),
                    Arg::new("max", ArgType::PureToken).token("MAX"),
                ]),
        ],
        ..CommandSpec::BASE
    },
    // movablekeys: first_key/last_key/step miss keys; routing must follow key_specs.
    CommandSpec {
        name: "zinterstore",
        arity: -4,
        flags: &["write", "denyoom", "movablekeys"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@sortedset", "@slow"],
        group: "sorted-set",
        since: "2.0.0",
        summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key",
        complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(zset::precheck_zinterstore),
            apply: zset::zinterstore,
        },
        key_specs: &[
            KeySpec {
                notes: None,
                flags: &["OW", "update"],
                begin_search: BeginSearch::Index(1),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                notes: None,
                flags: &["RO", "access"],
                begin_search: BeginSearch::Index(2),
                find_keys: FindKeys::KeyNum {
                    key_num_idx: 0,
                    first_key: 1,
                    key_step: 1,
                },
            },
        ],
        args: &[
            Arg::new("destination", ArgType::Key).key_spec(0),
            Arg::new("numkeys", ArgType::Integer),
            Arg::new("key", ArgType::Key).key_spec(1).multiple(),
            Arg::new("weight", ArgType::Integer)
                .token("WEIGHTS")
                .optional()
                .multiple(),
            Arg::new("aggregate", ArgType::OneOf)
                .token("AGGREGATE")
                .optional()
                .args(&[
                    Arg::new("sum", ArgType::PureToken).token("SUM"),
                    Arg::new("min", ArgType::PureToken).token("MIN"),
                    Arg::new("max", ArgType::PureToken).token("MAX"),
                ]),
        ],
        ..CommandSpec::BASE
    },
    // movablekeys: first_key/last_key/step miss keys; routing must follow key_specs.
    CommandSpec {
        name: "zdiffstore",
        arity: -4,
        flags: &["write", "denyoom", "movablekeys"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@sortedset", "@slow"],
        group: "sorted-set",
        since: "6.2.0",
        summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key",
        complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(zset::precheck_zdiffstore),
            apply: zset::zdiffstore,
        },
        key_specs: &[
            KeySpec {
                notes: None,
                flags: &["OW", "update"],
                begin_search: BeginSearch::Index(1),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                notes: None,
                flags: &["RO", "access"],
                begin_search: BeginSearch::Index(2),
                find_keys: FindKeys::KeyNum {
                    key_num_idx: 0,
                    first_key: 1,
                    key_step: 1,
                },
            },
        ],
        args: &[
            Arg::new("destination", ArgType::Key).key_spec(0),
            Arg::new("numkeys", ArgType::Integer),
            Arg::new("key", ArgType::Key).key_spec(1).multiple(),
        ],
        ..CommandSpec::BASE
    },
    // movablekeys: first_key/last_key/step miss keys; routing must follow key_specs.
    CommandSpec {
        name: "zintercard",
        arity: -3,
        flags: &["readonly", "movablekeys"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@read", "@sortedset", "@slow"],
        group: "sorted-set",
        since: "7.0.0",
        summary: "Intersect multiple sorted sets and return the cardinality of the result",
        complexity: "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(zset::zintercard),
        heavy: true,
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::KeyNum {
                key_num_idx: 0,
                first_key: 1,
                key_step: 1,
            },
        }],
        args: &[
            Arg::new("numkeys", ArgType::Integer),
            Arg::new("key", ArgType::Key).key_spec(0).multiple(),
            Arg::new("limit", ArgType::Integer)
                .token("LIMIT")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "zscan",
        arity: -3,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@sortedset", "@slow"],
        group: "sorted-set",
        since: "2.8.0",
        summary: "Incrementally iterate sorted sets elements and associated scores",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
        route: Route::Keyed { write: false },
        handler: Handler::Read(zset::zscan),
        tips: &["nondeterministic_output"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("cursor", ArgType::Integer),
            Arg::new("pattern", ArgType::Pattern)
                .token("MATCH")
                .optional(),
            Arg::new("count", ArgType::Integer)
                .token("COUNT")
                .optional(),
        ],
        heavy: true,
        heavy_size: Some(super::HeavySize(zset::zscan_size)),
        ..CommandSpec::BASE
    },
    // ---- stream (issue 10) ----
    CommandSpec {
        name: "xadd",
        arity: -5,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@stream", "@fast"],
        group: "stream",
        since: "5.0.0",
        summary: "Appends a new entry to a stream",
        complexity: "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(stream::precheck_xadd),
            apply: stream::xadd,
        },
        tips: &["nondeterministic_output"],
        key_specs: &[KeySpec {
            notes: Some("UPDATE instead of INSERT because of the optional trimming feature"),
            flags: &["RW", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[
            (
                "6.2.0",
                "Added the `NOMKSTREAM` option, `MINID` trimming strategy and the `LIMIT` option.",
            ),
            ("7.0.0", "Added support for the `<ms>-*` explicit ID form."),
        ],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("nomkstream", ArgType::PureToken)
                .token("NOMKSTREAM")
                .since("6.2.0")
                .optional(),
            Arg::new("trim", ArgType::Block).optional().args(&[
                Arg::new("strategy", ArgType::OneOf).args(&[
                    Arg::new("maxlen", ArgType::PureToken).token("MAXLEN"),
                    Arg::new("minid", ArgType::PureToken)
                        .token("MINID")
                        .since("6.2.0"),
                ]),
                Arg::new("operator", ArgType::OneOf).optional().args(&[
                    Arg::new("equal", ArgType::PureToken).token("="),
                    Arg::new("approximately", ArgType::PureToken).token("~"),
                ]),
                Arg::new("threshold", ArgType::String),
                Arg::new("count", ArgType::Integer)
                    .token("LIMIT")
                    .since("6.2.0")
                    .optional(),
            ]),
            Arg::new("id_or_auto", ArgType::OneOf).args(&[
                Arg::new("auto_id", ArgType::PureToken).token("*"),
                Arg::new("id", ArgType::String),
            ]),
            Arg::new("field_value", ArgType::Block).multiple().args(&[
                Arg::new("field", ArgType::String),
                Arg::new("value", ArgType::String),
            ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "xlen",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@stream", "@fast"],
        group: "stream",
        since: "5.0.0",
        summary: "Return the number of entries in a stream",
        complexity: "O(1)",
        route: Route::Keyed { write: false },
        handler: Handler::Read(stream::xlen),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0)],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "xrange",
        arity: -4,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@stream", "@slow"],
        group: "stream",
        since: "5.0.0",
        summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval",
        complexity: "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
        route: Route::Keyed { write: false },
        handler: Handler::Read(stream::xrange),
        heavy: true,
        heavy_size: Some(super::HeavySize(stream::xrange_size)),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("6.2.0", "Added exclusive ranges.")],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("start", ArgType::String),
            Arg::new("end", ArgType::String),
            Arg::new("count", ArgType::Integer)
                .token("COUNT")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "xrevrange",
        arity: -4,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@stream", "@slow"],
        group: "stream",
        since: "5.0.0",
        summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE",
        complexity: "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
        route: Route::Keyed { write: false },
        handler: Handler::Read(stream::xrevrange),
        heavy: true,
        heavy_size: Some(super::HeavySize(stream::xrange_size)),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("6.2.0", "Added exclusive ranges.")],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("end", ArgType::String),
            Arg::new("start", ArgType::String),
            Arg::new("count", ArgType::Integer)
                .token("COUNT")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    // movablekeys: first_key/last_key/step miss keys; routing must follow key_specs.
    CommandSpec {
        name: "xread",
        arity: -4,
        flags: &["readonly", "blocking", "movablekeys"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@read", "@stream", "@slow", "@blocking"],
        group: "stream",
        since: "5.0.0",
        summary: "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.",
        complexity: "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(stream::xread),
        heavy: true,
        heavy_size: Some(super::HeavySize(stream::xread_size)),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Keyword {
                keyword: "STREAMS",
                start_from: 1,
            },
            find_keys: FindKeys::Range {
                last_key: -1,
                key_step: 1,
                limit: 2,
            },
        }],
        args: &[
            Arg::new("count", ArgType::Integer)
                .token("COUNT")
                .optional(),
            Arg::new("milliseconds", ArgType::Integer)
                .token("BLOCK")
                .optional(),
            Arg::new("streams", ArgType::Block).token("STREAMS").args(&[
                Arg::new("key", ArgType::Key).key_spec(0).multiple(),
                Arg::new("id", ArgType::String).multiple(),
            ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "xdel",
        arity: -3,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@stream", "@fast"],
        group: "stream",
        since: "5.0.0",
        summary: "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.",
        complexity: "O(1) for each single item to delete in the stream, regardless of the stream size.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: stream::xdel,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("id", ArgType::String).multiple(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "xtrim",
        arity: -4,
        flags: &["write"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@stream", "@slow"],
        group: "stream",
        since: "5.0.0",
        summary: "Trims the stream to (approximately if '~' is passed) a certain size",
        complexity: "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(stream::precheck_xtrim),
            apply: stream::xtrim,
        },
        tips: &["nondeterministic_output"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[(
            "6.2.0",
            "Added the `MINID` trimming strategy and the `LIMIT` option.",
        )],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("trim", ArgType::Block).args(&[
                Arg::new("strategy", ArgType::OneOf).args(&[
                    Arg::new("maxlen", ArgType::PureToken).token("MAXLEN"),
                    Arg::new("minid", ArgType::PureToken)
                        .token("MINID")
                        .since("6.2.0"),
                ]),
                Arg::new("operator", ArgType::OneOf).optional().args(&[
                    Arg::new("equal", ArgType::PureToken).token("="),
                    Arg::new("approximately", ArgType::PureToken).token("~"),
                ]),
                Arg::new("threshold", ArgType::String),
                Arg::new("count", ArgType::Integer)
                    .token("LIMIT")
                    .since("6.2.0")
                    .optional(),
            ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "xsetid",
        arity: -3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@stream", "@fast"],
        group: "stream",
        since: "5.0.0",
        summary: "An internal command for replicating stream values",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(stream::precheck_xsetid),
            apply: stream::xsetid,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[(
            "7.0.0",
            "Added the `entries_added` and `max_deleted_entry_id` arguments.",
        )],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("last-id", ArgType::String),
            Arg::new("entries_added", ArgType::Integer)
                .token("ENTRIESADDED")
                .since("7.0.0")
                .optional(),
            Arg::new("max_deleted_entry_id", ArgType::String)
                .token("MAXDELETEDID")
                .since("7.0.0")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "xinfo",
        arity: -2,
        flags: &[],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@slow"],
        group: "stream",
        since: "5.0.0",
        summary: "A container for stream introspection commands",
        complexity: "Depends on subcommand.",
        route: Route::Keyed { write: false },
        handler: Handler::Container,
        subcommands: &[
            CommandSpec {
                name: "xinfo|consumers",
                arity: 4,
                flags: &["readonly"],
                first_key: 2,
                last_key: 2,
                step: 1,
                acl_categories: &["@read", "@stream", "@slow"],
                group: "stream",
                since: "5.0.0",
                summary: "List the consumers in a consumer group",
                complexity: "O(1)",
                route: Route::Keyed { write: false },
                handler: Handler::Read(stream::xinfo_consumers),
                tips: &["nondeterministic_output"],
                key_specs: &[KeySpec {
                    notes: None,
                    flags: &["RO", "access"],
                    begin_search: BeginSearch::Index(2),
                    find_keys: FindKeys::Range {
                        last_key: 0,
                        key_step: 1,
                        limit: 0,
                    },
                }],
                args: &[
                    Arg::new("key", ArgType::Key).key_spec(0),
                    Arg::new("groupname", ArgType::String),
                ],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "xinfo|groups",
                arity: 3,
                flags: &["readonly"],
                first_key: 2,
                last_key: 2,
                step: 1,
                acl_categories: &["@read", "@stream", "@slow"],
                group: "stream",
                since: "5.0.0",
                summary: "List the consumer groups of a stream",
                complexity: "O(1)",
                route: Route::Keyed { write: false },
                handler: Handler::Read(stream::xinfo_groups),
                key_specs: &[KeySpec {
                    notes: None,
                    flags: &["RO", "access"],
                    begin_search: BeginSearch::Index(2),
                    find_keys: FindKeys::Range {
                        last_key: 0,
                        key_step: 1,
                        limit: 0,
                    },
                }],
                history: &[("7.0.0", "Added the `entries-read` and `lag` fields")],
                args: &[Arg::new("key", ArgType::Key).key_spec(0)],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "xinfo|help",
                arity: 2,
                flags: &["loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@stream", "@slow"],
                group: "stream",
                since: "5.0.0",
                summary: "Show helpful text about the different subcommands",
                complexity: "O(1)",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::XinfoHelp),
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "xinfo|stream",
                arity: -3,
                flags: &["readonly"],
                first_key: 2,
                last_key: 2,
                step: 1,
                acl_categories: &["@read", "@stream", "@slow"],
                group: "stream",
                since: "5.0.0",
                summary: "Get information about a stream",
                complexity: "O(1)",
                route: Route::Keyed { write: false },
                handler: Handler::Read(stream::xinfo_stream),
                key_specs: &[KeySpec {
                    notes: None,
                    flags: &["RO", "access"],
                    begin_search: BeginSearch::Index(2),
                    find_keys: FindKeys::Range {
                        last_key: 0,
                        key_step: 1,
                        limit: 0,
                    },
                }],
                history: &[
                    ("6.0.0", "Added the `FULL` modifier."),
                    (
                        "7.0.0",
                        "Added the `max-deleted-entry-id`, `entries-added`, `recorded-first-entry-id`, `entries-read` and `lag` fields",
                    ),
                ],
                args: &[
                    Arg::new("key", ArgType::Key).key_spec(0),
                    Arg::new("full", ArgType::Block)
                        .token("FULL")
                        .optional()
                        .args(&[Arg::new("count", ArgType::Integer)
                            .token("COUNT")
                            .optional()]),
                ],
                ..CommandSpec::BASE
            },
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "xgroup",
        arity: -2,
        flags: &[],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@slow"],
        group: "stream",
        since: "5.0.0",
        summary: "A container for consumer groups commands",
        complexity: "Depends on subcommand.",
        route: Route::Keyed { write: false },
        handler: Handler::Container,
        subcommands: &[
            CommandSpec {
                name: "xgroup|create",
                arity: -5,
                flags: &["write", "denyoom"],
                first_key: 2,
                last_key: 2,
                step: 1,
                acl_categories: &["@write", "@stream", "@slow"],
                group: "stream",
                since: "5.0.0",
                summary: "Create a consumer group.",
                complexity: "O(1)",
                route: Route::Keyed { write: true },
                handler: Handler::Write {
                    precheck: Some(stream::precheck_xgroup),
                    apply: stream::xgroup_create,
                },
                key_specs: &[KeySpec {
                    notes: None,
                    flags: &["RW", "insert"],
                    begin_search: BeginSearch::Index(2),
                    find_keys: FindKeys::Range {
                        last_key: 0,
                        key_step: 1,
                        limit: 0,
                    },
                }],
                history: &[("7.0.0", "Added the `entries_read` named argument.")],
                args: &[
                    Arg::new("key", ArgType::Key).key_spec(0),
                    Arg::new("groupname", ArgType::String),
                    Arg::new("id", ArgType::OneOf).args(&[
                        Arg::new("id", ArgType::String),
                        Arg::new("new_id", ArgType::PureToken).token("$"),
                    ]),
                    Arg::new("mkstream", ArgType::PureToken)
                        .token("MKSTREAM")
                        .optional(),
                    Arg::new("entries_read", ArgType::Integer)
                        .token("ENTRIESREAD")
                        .optional(),
                ],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "xgroup|createconsumer",
                arity: 5,
                flags: &["write", "denyoom"],
                first_key: 2,
                last_key: 2,
                step: 1,
                acl_categories: &["@write", "@stream", "@slow"],
                group: "stream",
                since: "6.2.0",
                summary: "Create a consumer in a consumer group.",
                complexity: "O(1)",
                route: Route::Keyed { write: true },
                handler: Handler::Write {
                    precheck: Some(stream::precheck_xgroup),
                    apply: stream::xgroup_createconsumer,
                },
                key_specs: &[KeySpec {
                    notes: None,
                    flags: &["RW", "insert"],
                    begin_search: BeginSearch::Index(2),
                    find_keys: FindKeys::Range {
                        last_key: 0,
                        key_step: 1,
                        limit: 0,
                    },
                }],
                args: &[
                    Arg::new("key", ArgType::Key).key_spec(0),
                    Arg::new("groupname", ArgType::String),
                    Arg::new("consumername", ArgType::String),
                ],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "xgroup|delconsumer",
                arity: 5,
                flags: &["write"],
                first_key: 2,
                last_key: 2,
                step: 1,
                acl_categories: &["@write", "@stream", "@slow"],
                group: "stream",
                since: "5.0.0",
                summary: "Delete a consumer from a consumer group.",
                complexity: "O(1)",
                route: Route::Keyed { write: true },
                handler: Handler::Write {
                    precheck: Some(stream::precheck_xgroup),
                    apply: stream::xgroup_delconsumer,
                },
                key_specs: &[KeySpec {
                    notes: None,
                    flags: &["RW", "delete"],
                    begin_search: BeginSearch::Index(2),
                    find_keys: FindKeys::Range {
                        last_key: 0,
                        key_step: 1,
                        limit: 0,
                    },
                }],
                args: &[
                    Arg::new("key", ArgType::Key).key_spec(0),
                    Arg::new("groupname", ArgType::String),
                    Arg::new("consumername", ArgType::String),
                ],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "xgroup|destroy",
                arity: 4,
                flags: &["write"],
                first_key: 2,
                last_key: 2,
                step: 1,
                acl_categories: &["@write", "@stream", "@slow"],
                group: "stream",
                since: "5.0.0",
                summary: "Destroy a consumer group.",
                complexity: "O(N) where N is the number of entries in the group's pending entries list (PEL).",
                route: Route::Keyed { write: true },
                handler: Handler::Write {
                    precheck: Some(stream::precheck_xgroup),
                    apply: stream::xgroup_destroy,
                },
                key_specs: &[KeySpec {
                    notes: None,
                    flags: &["RW", "delete"],
                    begin_search: BeginSearch::Index(2),
                    find_keys: FindKeys::Range {
                        last_key: 0,
                        key_step: 1,
                        limit: 0,
                    },
                }],
                args: &[
                    Arg::new("key", ArgType::Key).key_spec(0),
                    Arg::new("groupname", ArgType::String),
                ],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "xgroup|help",
                arity: 2,
                flags: &["loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@stream", "@slow"],
                group: "stream",
                since: "5.0.0",
                summary: "Show helpful text about the different subcommands",
                complexity: "O(1)",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::XgroupHelp),
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "xgroup|setid",
                arity: -5,
                flags: &["write"],
                first_key: 2,
                last_key: 2,
                step: 1,
                acl_categories: &["@write", "@stream", "@slow"],
                group: "stream",
                since: "5.0.0",
                summary: "Set a consumer group to an arbitrary last delivered ID value.",
                complexity: "O(1)",
                route: Route::Keyed { write: true },
                handler: Handler::Write {
                    precheck: Some(stream::precheck_xgroup),
                    apply: stream::xgroup_setid,
                },
                key_specs: &[KeySpec {
                    notes: None,
                    flags: &["RW", "update"],
                    begin_search: BeginSearch::Index(2),
                    find_keys: FindKeys::Range {
                        last_key: 0,
                        key_step: 1,
                        limit: 0,
                    },
                }],
                history: &[("7.0.0", "Added the optional `entries_read` argument.")],
                args: &[
                    Arg::new("key", ArgType::Key).key_spec(0),
                    Arg::new("groupname", ArgType::String),
                    Arg::new("id", ArgType::OneOf).args(&[
                        Arg::new("id", ArgType::String),
                        Arg::new("new_id", ArgType::PureToken).token("$"),
                    ]),
                    Arg::new("entries_read", ArgType::Integer)
                        .token("ENTRIESREAD")
                        .optional(),
                ],
                ..CommandSpec::BASE
            },
        ],
        ..CommandSpec::BASE
    },
    // movablekeys: first_key/last_key/step miss keys; routing must follow key_specs.
    CommandSpec {
        name: "xreadgroup",
        arity: -7,
        flags: &["write", "blocking", "movablekeys"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@write", "@stream", "@slow", "@blocking"],
        group: "stream",
        since: "5.0.0",
        summary: "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.",
        complexity: "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(stream::precheck_xreadgroup),
            apply: stream::xreadgroup,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Keyword {
                keyword: "STREAMS",
                start_from: 4,
            },
            find_keys: FindKeys::Range {
                last_key: -1,
                key_step: 1,
                limit: 2,
            },
        }],
        args: &[
            Arg::new("group_consumer", ArgType::Block)
                .token("GROUP")
                .args(&[
                    Arg::new("group", ArgType::String),
                    Arg::new("consumer", ArgType::String),
                ]),
            Arg::new("count", ArgType::Integer)
                .token("COUNT")
                .optional(),
            Arg::new("milliseconds", ArgType::Integer)
                .token("BLOCK")
                .optional(),
            Arg::new("noack", ArgType::PureToken)
                .token("NOACK")
                .optional(),
            Arg::new("streams", ArgType::Block).token("STREAMS").args(&[
                Arg::new("key", ArgType::Key).key_spec(0).multiple(),
                Arg::new("id", ArgType::String).multiple(),
            ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "xack",
        arity: -4,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@stream", "@fast"],
        group: "stream",
        since: "5.0.0",
        summary: "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
        complexity: "O(1) for each message ID processed.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: stream::xack,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("group", ArgType::String),
            Arg::new("id", ArgType::String).multiple(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "xpending",
        arity: -3,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@stream", "@slow"],
        group: "stream",
        since: "5.0.0",
        summary: "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.",
        complexity: "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(stream::xpending),
        tips: &["nondeterministic_output"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[(
            "6.2.0",
            "Added the `IDLE` option and exclusive range intervals.",
        )],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("group", ArgType::String),
            Arg::new("filters", ArgType::Block).optional().args(&[
                Arg::new("min-idle-time", ArgType::Integer)
                    .token("IDLE")
                    .since("6.2.0")
                    .optional(),
                Arg::new("start", ArgType::String),
                Arg::new("end", ArgType::String),
                Arg::new("count", ArgType::Integer),
                Arg::new("consumer", ArgType::String).optional(),
            ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "xclaim",
        arity: -6,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@stream", "@fast"],
        group: "stream",
        since: "5.0.0",
        summary: "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.",
        complexity: "O(log N) with N being the number of messages in the PEL of the consumer group.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: stream::xclaim,
        },
        tips: &["nondeterministic_output"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("group", ArgType::String),
            Arg::new("consumer", ArgType::String),
            Arg::new("min-idle-time", ArgType::String),
            Arg::new("id", ArgType::String).multiple(),
            Arg::new("ms", ArgType::Integer).token("IDLE").optional(),
            Arg::new("unix-time-milliseconds", ArgType::UnixTime)
                .token("TIME")
                .optional(),
            Arg::new("count", ArgType::Integer)
                .token("RETRYCOUNT")
                .optional(),
            Arg::new("force", ArgType::PureToken)
                .token("FORCE")
                .optional(),
            Arg::new("justid", ArgType::PureToken)
                .token("JUSTID")
                .optional(),
            Arg::new("id", ArgType::String).token("LASTID").optional(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "xautoclaim",
        arity: -6,
        flags: &["write", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@stream", "@fast"],
        group: "stream",
        since: "6.2.0",
        summary: "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.",
        complexity: "O(1) if COUNT is small.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(stream::precheck_xautoclaim),
            apply: stream::xautoclaim,
        },
        tips: &["nondeterministic_output"],
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[(
            "7.0.0",
            "Added an element to the reply array, containing deleted entries the command cleared from the PEL",
        )],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("group", ArgType::String),
            Arg::new("consumer", ArgType::String),
            Arg::new("min-idle-time", ArgType::String),
            Arg::new("start", ArgType::String),
            Arg::new("count", ArgType::Integer)
                .token("COUNT")
                .optional(),
            Arg::new("justid", ArgType::PureToken)
                .token("JUSTID")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    // ---- hll (issue 10, slice 5) ----
    CommandSpec {
        name: "pfadd",
        arity: -2,
        flags: &["write", "denyoom", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@hyperloglog", "@fast"],
        group: "hyperloglog",
        since: "2.8.9",
        summary: "Adds the specified elements to the specified HyperLogLog.",
        complexity: "O(1) to add every element.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: hll::pfadd,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "insert"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("element", ArgType::String).optional().multiple(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "pfcount",
        arity: -2,
        flags: &["readonly"],
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@read", "@hyperloglog", "@slow"],
        group: "hyperloglog",
        since: "2.8.9",
        summary: "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
        complexity: "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(hll::pfcount),
        // Each key costs ~8 µs (16,384 registers): a few stay on the core.
        heavy: true,
        heavy_size: Some(super::HeavySize(hll::pfcount_size)),
        key_specs: &[KeySpec {
            notes: Some(
                "RW because it may change the internal representation of the key, and propagate to replicas",
            ),
            flags: &["RW", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: -1,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("key", ArgType::Key).key_spec(0).multiple()],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "pfmerge",
        arity: -2,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@write", "@hyperloglog", "@slow"],
        group: "hyperloglog",
        since: "2.8.9",
        summary: "Merge N different HyperLogLogs into a single one.",
        complexity: "O(N) to merge N HyperLogLogs, but with high constant times.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: hll::pfmerge,
        },
        key_specs: &[
            KeySpec {
                notes: None,
                flags: &["RW", "access", "insert"],
                begin_search: BeginSearch::Index(1),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                notes: None,
                flags: &["RO", "access"],
                begin_search: BeginSearch::Index(2),
                find_keys: FindKeys::Range {
                    last_key: -1,
                    key_step: 1,
                    limit: 0,
                },
            },
        ],
        args: &[
            Arg::new("destkey", ArgType::Key).key_spec(0),
            Arg::new("sourcekey", ArgType::Key).key_spec(1).multiple(),
        ],
        ..CommandSpec::BASE
    },
    // ---- geo (issue 10, slice 5) ----
    // A geo index is a sorted set (core/src/cmd/geo.rs). GEORADIUS and
    // GEORADIUSBYMEMBER without STORE run as their _RO reads (geo::read_form).
    CommandSpec {
        name: "geoadd",
        arity: -5,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@geo", "@slow"],
        group: "geo",
        since: "3.2.0",
        summary: "Add one or more geospatial items in the geospatial index represented using a sorted set",
        complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(geo::precheck_geoadd),
            apply: geo::geoadd,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("6.2.0", "Added the `CH`, `NX` and `XX` options.")],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("condition", ArgType::OneOf)
                .since("6.2.0")
                .optional()
                .args(&[
                    Arg::new("nx", ArgType::PureToken).token("NX"),
                    Arg::new("xx", ArgType::PureToken).token("XX"),
                ]),
            Arg::new("change", ArgType::PureToken)
                .token("CH")
                .since("6.2.0")
                .optional(),
            Arg::new("longitude_latitude_member", ArgType::Block)
                .multiple()
                .args(&[
                    Arg::new("longitude", ArgType::Double),
                    Arg::new("latitude", ArgType::Double),
                    Arg::new("member", ArgType::String),
                ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "geopos",
        arity: -2,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@geo", "@slow"],
        group: "geo",
        since: "3.2.0",
        summary: "Returns longitude and latitude of members of a geospatial index",
        complexity: "O(N) where N is the number of members requested.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(geo::geopos),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("member", ArgType::String).multiple(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "geodist",
        arity: -4,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@geo", "@slow"],
        group: "geo",
        since: "3.2.0",
        summary: "Returns the distance between two members of a geospatial index",
        complexity: "O(log(N))",
        route: Route::Keyed { write: false },
        handler: Handler::Read(geo::geodist),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("member1", ArgType::String),
            Arg::new("member2", ArgType::String),
            Arg::new("unit", ArgType::OneOf).optional().args(&[
                Arg::new("m", ArgType::PureToken).token("M"),
                Arg::new("km", ArgType::PureToken).token("KM"),
                Arg::new("ft", ArgType::PureToken).token("FT"),
                Arg::new("mi", ArgType::PureToken).token("MI"),
            ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "geohash",
        arity: -2,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@geo", "@slow"],
        group: "geo",
        since: "3.2.0",
        summary: "Returns members of a geospatial index as standard geohash strings",
        complexity: "O(log(N)) for each member requested, where N is the number of elements in the sorted set.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(geo::geohash),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("member", ArgType::String).multiple(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "geosearch",
        arity: -7,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@geo", "@slow"],
        group: "geo",
        since: "6.2.0",
        summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.",
        complexity: "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape",
        route: Route::Keyed { write: false },
        handler: Handler::Read(geo::geosearch),
        // 0019 section 4: the members of its (at most 9) boxes, counted up
        // to HEAVY_MIN + 1 (geo::search_size): small searches stay on the core.
        heavy: true,
        heavy_size: Some(super::HeavySize(geo::search_size)),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("7.0.0", "Added support for uppercase unit names.")],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("from", ArgType::OneOf).args(&[
                Arg::new("member", ArgType::String).token("FROMMEMBER"),
                Arg::new("longitude_latitude", ArgType::Block)
                    .token("FROMLONLAT")
                    .args(&[
                        Arg::new("longitude", ArgType::Double),
                        Arg::new("latitude", ArgType::Double),
                    ]),
            ]),
            Arg::new("by", ArgType::OneOf).args(&[
                Arg::new("circle", ArgType::Block).args(&[
                    Arg::new("radius", ArgType::Double).token("BYRADIUS"),
                    Arg::new("unit", ArgType::OneOf).args(&[
                        Arg::new("m", ArgType::PureToken).token("M"),
                        Arg::new("km", ArgType::PureToken).token("KM"),
                        Arg::new("ft", ArgType::PureToken).token("FT"),
                        Arg::new("mi", ArgType::PureToken).token("MI"),
                    ]),
                ]),
                Arg::new("box", ArgType::Block).args(&[
                    Arg::new("width", ArgType::Double).token("BYBOX"),
                    Arg::new("height", ArgType::Double),
                    Arg::new("unit", ArgType::OneOf).args(&[
                        Arg::new("m", ArgType::PureToken).token("M"),
                        Arg::new("km", ArgType::PureToken).token("KM"),
                        Arg::new("ft", ArgType::PureToken).token("FT"),
                        Arg::new("mi", ArgType::PureToken).token("MI"),
                    ]),
                ]),
            ]),
            Arg::new("order", ArgType::OneOf).optional().args(&[
                Arg::new("asc", ArgType::PureToken).token("ASC"),
                Arg::new("desc", ArgType::PureToken).token("DESC"),
            ]),
            Arg::new("count", ArgType::Block).optional().args(&[
                Arg::new("count", ArgType::Integer).token("COUNT"),
                Arg::new("any", ArgType::PureToken).token("ANY").optional(),
            ]),
            Arg::new("withcoord", ArgType::PureToken)
                .token("WITHCOORD")
                .optional(),
            Arg::new("withdist", ArgType::PureToken)
                .token("WITHDIST")
                .optional(),
            Arg::new("withhash", ArgType::PureToken)
                .token("WITHHASH")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "geosearchstore",
        arity: -8,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: 2,
        step: 1,
        acl_categories: &["@write", "@geo", "@slow"],
        group: "geo",
        since: "6.2.0",
        summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.",
        complexity: "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: geo::geosearchstore,
        },
        key_specs: &[
            KeySpec {
                notes: None,
                flags: &["OW", "update"],
                begin_search: BeginSearch::Index(1),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                notes: None,
                flags: &["RO", "access"],
                begin_search: BeginSearch::Index(2),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
        ],
        history: &[("7.0.0", "Added support for uppercase unit names.")],
        args: &[
            Arg::new("destination", ArgType::Key).key_spec(0),
            Arg::new("source", ArgType::Key).key_spec(1),
            Arg::new("from", ArgType::OneOf).args(&[
                Arg::new("member", ArgType::String).token("FROMMEMBER"),
                Arg::new("longitude_latitude", ArgType::Block)
                    .token("FROMLONLAT")
                    .args(&[
                        Arg::new("longitude", ArgType::Double),
                        Arg::new("latitude", ArgType::Double),
                    ]),
            ]),
            Arg::new("by", ArgType::OneOf).args(&[
                Arg::new("circle", ArgType::Block).args(&[
                    Arg::new("radius", ArgType::Double).token("BYRADIUS"),
                    Arg::new("unit", ArgType::OneOf).args(&[
                        Arg::new("m", ArgType::PureToken).token("M"),
                        Arg::new("km", ArgType::PureToken).token("KM"),
                        Arg::new("ft", ArgType::PureToken).token("FT"),
                        Arg::new("mi", ArgType::PureToken).token("MI"),
                    ]),
                ]),
                Arg::new("box", ArgType::Block).args(&[
                    Arg::new("width", ArgType::Double).token("BYBOX"),
                    Arg::new("height", ArgType::Double),
                    Arg::new("unit", ArgType::OneOf).args(&[
                        Arg::new("m", ArgType::PureToken).token("M"),
                        Arg::new("km", ArgType::PureToken).token("KM"),
                        Arg::new("ft", ArgType::PureToken).token("FT"),
                        Arg::new("mi", ArgType::PureToken).token("MI"),
                    ]),
                ]),
            ]),
            Arg::new("order", ArgType::OneOf).optional().args(&[
                Arg::new("asc", ArgType::PureToken).token("ASC"),
                Arg::new("desc", ArgType::PureToken).token("DESC"),
            ]),
            Arg::new("count", ArgType::Block).optional().args(&[
                Arg::new("count", ArgType::Integer).token("COUNT"),
                Arg::new("any", ArgType::PureToken).token("ANY").optional(),
            ]),
            Arg::new("storedist", ArgType::PureToken)
                .token("STOREDIST")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "georadius",
        arity: -6,
        flags: &["write", "denyoom", "movablekeys"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@geo", "@slow"],
        group: "geo",
        since: "3.2.0",
        summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point",
        complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: geo::georadius,
        },
        key_specs: &[
            KeySpec {
                notes: None,
                flags: &["RO", "access"],
                begin_search: BeginSearch::Index(1),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                notes: None,
                flags: &["OW", "update"],
                begin_search: BeginSearch::Keyword {
                    keyword: "STORE",
                    start_from: 6,
                },
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                notes: None,
                flags: &["OW", "update"],
                begin_search: BeginSearch::Keyword {
                    keyword: "STOREDIST",
                    start_from: 6,
                },
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
        ],
        history: &[
            ("6.2.0", "Added the `ANY` option for `COUNT`."),
            ("7.0.0", "Added support for uppercase unit names."),
        ],
        doc_flags: &["deprecated"],
        deprecated_since: Some("6.2.0"),
        replaced_by: Some("`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument"),
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("longitude", ArgType::Double),
            Arg::new("latitude", ArgType::Double),
            Arg::new("radius", ArgType::Double),
            Arg::new("unit", ArgType::OneOf).args(&[
                Arg::new("m", ArgType::PureToken).token("M"),
                Arg::new("km", ArgType::PureToken).token("KM"),
                Arg::new("ft", ArgType::PureToken).token("FT"),
                Arg::new("mi", ArgType::PureToken).token("MI"),
            ]),
            Arg::new("withcoord", ArgType::PureToken)
                .token("WITHCOORD")
                .optional(),
            Arg::new("withdist", ArgType::PureToken)
                .token("WITHDIST")
                .optional(),
            Arg::new("withhash", ArgType::PureToken)
                .token("WITHHASH")
                .optional(),
            Arg::new("count", ArgType::Block).optional().args(&[
                Arg::new("count", ArgType::Integer).token("COUNT"),
                Arg::new("any", ArgType::PureToken)
                    .token("ANY")
                    .since("6.2.0")
                    .optional(),
            ]),
            Arg::new("order", ArgType::OneOf).optional().args(&[
                Arg::new("asc", ArgType::PureToken).token("ASC"),
                Arg::new("desc", ArgType::PureToken).token("DESC"),
            ]),
            Arg::new("key", ArgType::Key)
                .key_spec(1)
                .token("STORE")
                .optional(),
            Arg::new("key", ArgType::Key)
                .key_spec(2)
                .token("STOREDIST")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "georadiusbymember",
        arity: -5,
        flags: &["write", "denyoom", "movablekeys"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@geo", "@slow"],
        group: "geo",
        since: "3.2.0",
        summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member",
        complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: None,
            apply: geo::georadiusbymember,
        },
        key_specs: &[
            KeySpec {
                notes: None,
                flags: &["RO", "access"],
                begin_search: BeginSearch::Index(1),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                notes: None,
                flags: &["OW", "update"],
                begin_search: BeginSearch::Keyword {
                    keyword: "STORE",
                    start_from: 5,
                },
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                notes: None,
                flags: &["OW", "update"],
                begin_search: BeginSearch::Keyword {
                    keyword: "STOREDIST",
                    start_from: 5,
                },
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
        ],
        history: &[("7.0.0", "Added support for uppercase unit names.")],
        doc_flags: &["deprecated"],
        deprecated_since: Some("6.2.0"),
        replaced_by: Some(
            "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` and `FROMMEMBER` arguments",
        ),
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("member", ArgType::String),
            Arg::new("radius", ArgType::Double),
            Arg::new("unit", ArgType::OneOf).args(&[
                Arg::new("m", ArgType::PureToken).token("M"),
                Arg::new("km", ArgType::PureToken).token("KM"),
                Arg::new("ft", ArgType::PureToken).token("FT"),
                Arg::new("mi", ArgType::PureToken).token("MI"),
            ]),
            Arg::new("withcoord", ArgType::PureToken)
                .token("WITHCOORD")
                .optional(),
            Arg::new("withdist", ArgType::PureToken)
                .token("WITHDIST")
                .optional(),
            Arg::new("withhash", ArgType::PureToken)
                .token("WITHHASH")
                .optional(),
            Arg::new("count", ArgType::Block).optional().args(&[
                Arg::new("count", ArgType::Integer).token("COUNT"),
                Arg::new("any", ArgType::PureToken).token("ANY").optional(),
            ]),
            Arg::new("order", ArgType::OneOf).optional().args(&[
                Arg::new("asc", ArgType::PureToken).token("ASC"),
                Arg::new("desc", ArgType::PureToken).token("DESC"),
            ]),
            Arg::new("key", ArgType::Key)
                .key_spec(1)
                .token("STORE")
                .optional(),
            Arg::new("key", ArgType::Key)
                .key_spec(2)
                .token("STOREDIST")
                .optional(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "georadius_ro",
        arity: -6,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@geo", "@slow"],
        group: "geo",
        since: "3.2.10",
        summary: "A read-only variant for GEORADIUS",
        complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(geo::georadius_ro),
        // 0019 section 4: the members of its (at most 9) boxes, counted up
        // to HEAVY_MIN + 1 (geo::search_size): small searches stay on the core.
        heavy: true,
        heavy_size: Some(super::HeavySize(geo::search_size)),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("6.2.0", "Added the `ANY` option for `COUNT`.")],
        doc_flags: &["deprecated"],
        deprecated_since: Some("6.2.0"),
        replaced_by: Some("`GEOSEARCH` with the `BYRADIUS` argument"),
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("longitude", ArgType::Double),
            Arg::new("latitude", ArgType::Double),
            Arg::new("radius", ArgType::Double),
            Arg::new("unit", ArgType::OneOf).args(&[
                Arg::new("m", ArgType::PureToken).token("M"),
                Arg::new("km", ArgType::PureToken).token("KM"),
                Arg::new("ft", ArgType::PureToken).token("FT"),
                Arg::new("mi", ArgType::PureToken).token("MI"),
            ]),
            Arg::new("withcoord", ArgType::PureToken)
                .token("WITHCOORD")
                .optional(),
            Arg::new("withdist", ArgType::PureToken)
                .token("WITHDIST")
                .optional(),
            Arg::new("withhash", ArgType::PureToken)
                .token("WITHHASH")
                .optional(),
            Arg::new("count", ArgType::Block).optional().args(&[
                Arg::new("count", ArgType::Integer).token("COUNT"),
                Arg::new("any", ArgType::PureToken)
                    .token("ANY")
                    .since("6.2.0")
                    .optional(),
            ]),
            Arg::new("order", ArgType::OneOf).optional().args(&[
                Arg::new("asc", ArgType::PureToken).token("ASC"),
                Arg::new("desc", ArgType::PureToken).token("DESC"),
            ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "georadiusbymember_ro",
        arity: -5,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@geo", "@slow"],
        group: "geo",
        since: "3.2.10",
        summary: "A read-only variant for GEORADIUSBYMEMBER",
        complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
        route: Route::Keyed { write: false },
        handler: Handler::Read(geo::georadiusbymember_ro),
        // 0019 section 4: the members of its (at most 9) boxes, counted up
        // to HEAVY_MIN + 1 (geo::search_size): small searches stay on the core.
        heavy: true,
        heavy_size: Some(super::HeavySize(geo::search_size)),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        doc_flags: &["deprecated"],
        deprecated_since: Some("6.2.0"),
        replaced_by: Some("`GEOSEARCH` with the `BYRADIUS` and `FROMMEMBER` arguments"),
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("member", ArgType::String),
            Arg::new("radius", ArgType::Double),
            Arg::new("unit", ArgType::OneOf).args(&[
                Arg::new("m", ArgType::PureToken).token("M"),
                Arg::new("km", ArgType::PureToken).token("KM"),
                Arg::new("ft", ArgType::PureToken).token("FT"),
                Arg::new("mi", ArgType::PureToken).token("MI"),
            ]),
            Arg::new("withcoord", ArgType::PureToken)
                .token("WITHCOORD")
                .optional(),
            Arg::new("withdist", ArgType::PureToken)
                .token("WITHDIST")
                .optional(),
            Arg::new("withhash", ArgType::PureToken)
                .token("WITHHASH")
                .optional(),
            Arg::new("count", ArgType::Block).optional().args(&[
                Arg::new("count", ArgType::Integer).token("COUNT"),
                Arg::new("any", ArgType::PureToken).token("ANY").optional(),
            ]),
            Arg::new("order", ArgType::OneOf).optional().args(&[
                Arg::new("asc", ArgType::PureToken).token("ASC"),
                Arg::new("desc", ArgType::PureToken).token("DESC"),
            ]),
        ],
        ..CommandSpec::BASE
    },
    // ---- bitmap (issue 10, slice 5) ----
    CommandSpec {
        name: "setbit",
        arity: 4,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@bitmap", "@slow"],
        group: "bitmap",
        since: "2.2.0",
        summary: "Sets or clears the bit at offset in the string value stored at key",
        complexity: "O(1)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(bitmap::precheck_setbit),
            apply: bitmap::setbit,
        },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "access", "update"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("offset", ArgType::Integer),
            Arg::new("value", ArgType::Integer),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "getbit",
        arity: 3,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@bitmap", "@fast"],
        group: "bitmap",
        since: "2.2.0",
        summary: "Returns the bit value at offset in the string value stored at key",
        complexity: "O(1)",
        route: Route::Keyed { write: false },
        handler: Handler::Read(bitmap::getbit),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("offset", ArgType::Integer),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "bitcount",
        arity: -2,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@bitmap", "@slow"],
        group: "bitmap",
        since: "2.6.0",
        summary: "Count set bits in a string",
        complexity: "O(N)",
        route: Route::Keyed { write: false },
        handler: Handler::Read(bitmap::bitcount),
        heavy: true,
        heavy_size: Some(super::HeavySize(bitmap::size_bitcount)),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("7.0.0", "Added the `BYTE|BIT` option.")],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("index", ArgType::Block).optional().args(&[
                Arg::new("start", ArgType::Integer),
                Arg::new("end", ArgType::Integer),
                Arg::new("index_unit", ArgType::OneOf)
                    .since("7.0.0")
                    .optional()
                    .args(&[
                        Arg::new("byte", ArgType::PureToken).token("BYTE"),
                        Arg::new("bit", ArgType::PureToken).token("BIT"),
                    ]),
            ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "bitpos",
        arity: -3,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@bitmap", "@slow"],
        group: "bitmap",
        since: "2.8.7",
        summary: "Find first bit set or clear in a string",
        complexity: "O(N)",
        route: Route::Keyed { write: false },
        handler: Handler::Read(bitmap::bitpos),
        heavy: true,
        heavy_size: Some(super::HeavySize(bitmap::size_bitpos)),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        history: &[("7.0.0", "Added the `BYTE|BIT` option.")],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("bit", ArgType::Integer),
            Arg::new("index", ArgType::Block).optional().args(&[
                Arg::new("start", ArgType::Integer),
                Arg::new("end_index", ArgType::Block).optional().args(&[
                    Arg::new("end", ArgType::Integer),
                    Arg::new("index_unit", ArgType::OneOf)
                        .since("7.0.0")
                        .optional()
                        .args(&[
                            Arg::new("byte", ArgType::PureToken).token("BYTE"),
                            Arg::new("bit", ArgType::PureToken).token("BIT"),
                        ]),
                ]),
            ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "bitop",
        arity: -4,
        flags: &["write", "denyoom"],
        first_key: 2,
        last_key: -1,
        step: 1,
        acl_categories: &["@write", "@bitmap", "@slow"],
        group: "bitmap",
        since: "2.6.0",
        summary: "Perform bitwise operations between strings",
        complexity: "O(N)",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(bitmap::precheck_bitop),
            apply: bitmap::bitop,
        },
        key_specs: &[
            KeySpec {
                notes: None,
                flags: &["OW", "update"],
                begin_search: BeginSearch::Index(2),
                find_keys: FindKeys::Range {
                    last_key: 0,
                    key_step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                notes: None,
                flags: &["RO", "access"],
                begin_search: BeginSearch::Index(3),
                find_keys: FindKeys::Range {
                    last_key: -1,
                    key_step: 1,
                    limit: 0,
                },
            },
        ],
        args: &[
            Arg::new("operation", ArgType::String),
            Arg::new("destkey", ArgType::Key).key_spec(0),
            Arg::new("key", ArgType::Key).key_spec(1).multiple(),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "bitfield",
        arity: -2,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@write", "@bitmap", "@slow"],
        group: "bitmap",
        since: "3.2.0",
        summary: "Perform arbitrary bitfield integer operations on strings",
        complexity: "O(1) for each subcommand specified",
        route: Route::Keyed { write: true },
        handler: Handler::Write {
            precheck: Some(bitmap::precheck_bitfield),
            apply: bitmap::bitfield,
        },
        key_specs: &[KeySpec {
            notes: Some("This command allows both access and modification of the key"),
            flags: &["RW", "access", "update", "variable_flags"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("operation", ArgType::OneOf)
                .optional()
                .multiple()
                .args(&[
                    Arg::new("encoding_offset", ArgType::Block)
                        .token("GET")
                        .args(&[
                            Arg::new("encoding", ArgType::String),
                            Arg::new("offset", ArgType::Integer),
                        ]),
                    Arg::new("write", ArgType::Block).args(&[
                        Arg::new("wrap_sat_fail", ArgType::OneOf)
                            .token("OVERFLOW")
                            .optional()
                            .args(&[
                                Arg::new("wrap", ArgType::PureToken).token("WRAP"),
                                Arg::new("sat", ArgType::PureToken).token("SAT"),
                                Arg::new("fail", ArgType::PureToken).token("FAIL"),
                            ]),
                        Arg::new("write_operation", ArgType::OneOf).args(&[
                            Arg::new("encoding_offset_value", ArgType::Block)
                                .token("SET")
                                .args(&[
                                    Arg::new("encoding", ArgType::String),
                                    Arg::new("offset", ArgType::Integer),
                                    Arg::new("value", ArgType::Integer),
                                ]),
                            Arg::new("encoding_offset_increment", ArgType::Block)
                                .token("INCRBY")
                                .args(&[
                                    Arg::new("encoding", ArgType::String),
                                    Arg::new("offset", ArgType::Integer),
                                    Arg::new("increment", ArgType::Integer),
                                ]),
                        ]),
                    ]),
                ]),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "bitfield_ro",
        arity: -2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@read", "@bitmap", "@fast"],
        group: "bitmap",
        since: "6.0.0",
        summary: "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
        complexity: "O(1) for each subcommand specified",
        route: Route::Keyed { write: false },
        handler: Handler::Read(bitmap::bitfield_ro),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("key", ArgType::Key).key_spec(0),
            Arg::new("encoding_offset", ArgType::Block)
                .token("GET")
                .optional()
                .multiple()
                .multiple_token()
                .args(&[
                    Arg::new("encoding", ArgType::String),
                    Arg::new("offset", ArgType::Integer),
                ]),
        ],
        ..CommandSpec::BASE
    },
    // ---- Not listed by COMMAND: run for anyone, but not (yet) documented
    // as Redis commands. MULTI/EXEC are refused until transactions exist.
    // The unlisted Redis commands carry Redis 7.0's ACL categories (for
    // ACL rules), though not yet the rest of their documentation.
    CommandSpec {
        name: "subscribe",
        arity: -2,
        flags: &["pubsub", "noscript", "loading", "stale"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@pubsub", "@slow"],
        group: "pubsub",
        since: "2.0.0",
        summary: "Listen for messages published to the given channels",
        complexity: "O(N) where N is the number of channels to subscribe to.",
        route: Route::Server,
        handler: Handler::Server(ServerCmd::Subscribe),
        args: &[Arg::new("channel", ArgType::String).multiple()],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "unsubscribe",
        arity: -1,
        flags: &["pubsub", "noscript", "loading", "stale"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@pubsub", "@slow"],
        group: "pubsub",
        since: "2.0.0",
        summary: "Stop listening for messages posted to the given channels",
        complexity: "O(N) where N is the number of clients already subscribed to a channel.",
        route: Route::Server,
        handler: Handler::Server(ServerCmd::Unsubscribe),
        args: &[Arg::new("channel", ArgType::String).optional().multiple()],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "psubscribe",
        arity: -2,
        flags: &["pubsub", "noscript", "loading", "stale"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@pubsub", "@slow"],
        group: "pubsub",
        since: "2.0.0",
        summary: "Listen for messages published to channels matching the given patterns",
        complexity: "O(N) where N is the number of patterns the client is already subscribed to.",
        route: Route::Server,
        handler: Handler::Server(ServerCmd::PSubscribe),
        args: &[Arg::new("pattern", ArgType::Block)
            .multiple()
            .args(&[Arg::new("pattern", ArgType::Pattern)])],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "punsubscribe",
        arity: -1,
        flags: &["pubsub", "noscript", "loading", "stale"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@pubsub", "@slow"],
        group: "pubsub",
        since: "2.0.0",
        summary: "Stop listening for messages posted to channels matching the given patterns",
        complexity: "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).",
        route: Route::Server,
        handler: Handler::Server(ServerCmd::PUnsubscribe),
        args: &[Arg::new("pattern", ArgType::Pattern).optional().multiple()],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "publish",
        arity: 3,
        flags: &["pubsub", "loading", "stale", "fast"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@pubsub", "@fast"],
        group: "pubsub",
        since: "2.0.0",
        summary: "Post a message to a channel",
        complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
        route: Route::Server,
        handler: Handler::Server(ServerCmd::Publish),
        args: &[
            Arg::new("channel", ArgType::String),
            Arg::new("message", ArgType::String),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "pubsub",
        arity: -2,
        flags: &[],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@slow"],
        group: "pubsub",
        since: "2.8.0",
        summary: "A container for Pub/Sub commands",
        complexity: "Depends on subcommand.",
        route: Route::Server,
        handler: Handler::Container,
        subcommands: &[
            CommandSpec {
                name: "pubsub|channels",
                arity: -2,
                flags: &["pubsub", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@pubsub", "@slow"],
                group: "pubsub",
                since: "2.8.0",
                summary: "List active channels",
                complexity: "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Pubsub(PubsubSub::Channels)),
                args: &[Arg::new("pattern", ArgType::Pattern).optional()],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "pubsub|help",
                arity: 2,
                flags: &["loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@slow"],
                group: "pubsub",
                since: "6.2.0",
                summary: "Show helpful text about the different subcommands",
                complexity: "O(1)",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Pubsub(PubsubSub::Help)),
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "pubsub|numpat",
                arity: 2,
                flags: &["pubsub", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@pubsub", "@slow"],
                group: "pubsub",
                since: "2.8.0",
                summary: "Get the count of unique patterns pattern subscriptions",
                complexity: "O(1)",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Pubsub(PubsubSub::NumPat)),
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "pubsub|numsub",
                arity: -2,
                flags: &["pubsub", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@pubsub", "@slow"],
                group: "pubsub",
                since: "2.8.0",
                summary: "Get the count of subscribers for channels",
                complexity: "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Pubsub(PubsubSub::NumSub)),
                args: &[Arg::new("channel", ArgType::String).optional().multiple()],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "pubsub|shardchannels",
                arity: -2,
                flags: &["pubsub", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@pubsub", "@slow"],
                group: "pubsub",
                since: "7.0.0",
                summary: "List active shard channels",
                complexity: "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Pubsub(PubsubSub::ShardChannels)),
                args: &[Arg::new("pattern", ArgType::Pattern).optional()],
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "pubsub|shardnumsub",
                arity: -2,
                flags: &["pubsub", "loading", "stale"],
                first_key: 0,
                last_key: 0,
                step: 0,
                acl_categories: &["@pubsub", "@slow"],
                group: "pubsub",
                since: "7.0.0",
                summary: "Get the count of subscribers for shard channels",
                complexity: "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
                route: Route::Server,
                handler: Handler::Server(ServerCmd::Pubsub(PubsubSub::ShardNumSub)),
                args: &[Arg::new("shardchannel", ArgType::String)
                    .optional()
                    .multiple()],
                ..CommandSpec::BASE
            },
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "ssubscribe",
        arity: -2,
        flags: &["pubsub", "noscript", "loading", "stale"],
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@pubsub", "@slow"],
        group: "pubsub",
        since: "7.0.0",
        summary: "Listen for messages published to the given shard channels",
        complexity: "O(N) where N is the number of shard channels to subscribe to.",
        route: Route::Server,
        handler: Handler::Server(ServerCmd::SSubscribe),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["not_key"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: -1,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("shardchannel", ArgType::String).multiple()],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "sunsubscribe",
        arity: -1,
        flags: &["pubsub", "noscript", "loading", "stale"],
        first_key: 1,
        last_key: -1,
        step: 1,
        acl_categories: &["@pubsub", "@slow"],
        group: "pubsub",
        since: "7.0.0",
        summary: "Stop listening for messages posted to the given shard channels",
        complexity: "O(N) where N is the number of clients already subscribed to a shard channel.",
        route: Route::Server,
        handler: Handler::Server(ServerCmd::SUnsubscribe),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["not_key"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: -1,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[Arg::new("shardchannel", ArgType::String)
            .optional()
            .multiple()],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "spublish",
        arity: 3,
        flags: &["pubsub", "loading", "stale", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        acl_categories: &["@pubsub", "@fast"],
        group: "pubsub",
        since: "7.0.0",
        summary: "Post a message to a shard channel",
        complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel.",
        route: Route::Server,
        handler: Handler::Server(ServerCmd::SPublish),
        key_specs: &[KeySpec {
            notes: None,
            flags: &["not_key"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        args: &[
            Arg::new("shardchannel", ArgType::String),
            Arg::new("message", ArgType::String),
        ],
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "monitor",
        arity: 1,
        flags: &["admin", "noscript", "loading", "stale"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "1.0.0",
        summary: "Listen for all requests received by the server in real time",
        route: Route::Server,
        handler: Handler::Server(ServerCmd::Monitor),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "multi",
        acl_categories: &["@fast", "@transaction"],
        arity: 1,
        handler: Handler::Server(ServerCmd::Multi),
        visibility: Visibility::Unlisted,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "exec",
        acl_categories: &["@slow", "@transaction"],
        arity: 1,
        handler: Handler::Server(ServerCmd::Exec),
        visibility: Visibility::Unlisted,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "discard",
        acl_categories: &["@fast", "@transaction"],
        arity: 1,
        handler: Handler::Server(ServerCmd::Discard),
        visibility: Visibility::Unlisted,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "watch",
        acl_categories: &["@fast", "@transaction"],
        arity: -2,
        handler: Handler::Server(ServerCmd::Watch),
        visibility: Visibility::Unlisted,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "unwatch",
        acl_categories: &["@fast", "@transaction"],
        arity: 1,
        handler: Handler::Server(ServerCmd::Unwatch),
        visibility: Visibility::Unlisted,
        ..CommandSpec::BASE
    },
    // Lua (docs/design/0026): io runs them; SCRIPT and FUNCTION check
    // their own subcommands (io/src/script.rs).
    CommandSpec {
        name: "eval",
        acl_categories: &["@slow", "@scripting"],
        arity: -3,
        flags: &["noscript"],
        handler: Handler::Server(ServerCmd::Eval),
        visibility: Visibility::Unlisted,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "evalsha",
        acl_categories: &["@slow", "@scripting"],
        arity: -3,
        flags: &["noscript"],
        handler: Handler::Server(ServerCmd::EvalSha),
        visibility: Visibility::Unlisted,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "eval_ro",
        acl_categories: &["@slow", "@scripting"],
        arity: -3,
        flags: &["noscript"],
        handler: Handler::Server(ServerCmd::EvalRo),
        visibility: Visibility::Unlisted,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "evalsha_ro",
        acl_categories: &["@slow", "@scripting"],
        arity: -3,
        flags: &["noscript"],
        handler: Handler::Server(ServerCmd::EvalShaRo),
        visibility: Visibility::Unlisted,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "fcall",
        acl_categories: &["@slow", "@scripting"],
        arity: -3,
        flags: &["noscript"],
        handler: Handler::Server(ServerCmd::Fcall),
        visibility: Visibility::Unlisted,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "fcall_ro",
        acl_categories: &["@slow", "@scripting"],
        arity: -3,
        flags: &["noscript"],
        handler: Handler::Server(ServerCmd::FcallRo),
        visibility: Visibility::Unlisted,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "script",
        acl_categories: &["@slow", "@scripting"],
        arity: -2,
        flags: &["noscript"],
        handler: Handler::Server(ServerCmd::Script),
        visibility: Visibility::Unlisted,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "function",
        acl_categories: &["@slow", "@scripting"],
        arity: -2,
        flags: &["noscript"],
        handler: Handler::Server(ServerCmd::Function),
        visibility: Visibility::Unlisted,
        ..CommandSpec::BASE
    },
    // CLUSTER checks its own arity and subcommands (io/src/cluster_cmds.rs).
    CommandSpec {
        name: "cluster",
        acl_categories: &["@slow"],
        arity: -1,
        handler: Handler::Server(ServerCmd::Cluster),
        visibility: Visibility::Unlisted,
        ..CommandSpec::BASE
    },
    // Anyone may try to prove membership; a wrong secret answers like an
    // unknown command.
    CommandSpec {
        name: "corekv.member",
        arity: -1,
        handler: Handler::Server(ServerCmd::Member),
        visibility: Visibility::Unlisted,
        ..CommandSpec::BASE
    },
    // Refused (as an unknown command) unless `--debug-commands`.
    CommandSpec {
        name: "corekv.debug",
        arity: -1,
        handler: Handler::Server(ServerCmd::Debug),
        visibility: Visibility::Unlisted,
        ..CommandSpec::BASE
    },
    // ---- Internal: cluster members only (io/src/member.rs).
    CommandSpec {
        name: "corekv.proxied",
        arity: -1,
        handler: Handler::Server(ServerCmd::Proxied),
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "corekv.at",
        arity: -3,
        handler: Handler::Server(ServerCmd::At),
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    // COREKV.AT whose reply goes back in RESP2 (a RESP2 client's command).
    CommandSpec {
        name: "corekv.at2",
        arity: -3,
        handler: Handler::Server(ServerCmd::At2),
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "corekv.cluster",
        arity: -1,
        handler: Handler::Server(ServerCmd::CorekvCluster),
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "corekv.groupadmin",
        arity: -1,
        handler: Handler::Server(ServerCmd::GroupAdmin),
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    // An ACL change for the meta group's state machine (core/src/acl.rs).
    CommandSpec {
        name: "corekv.aclop",
        arity: -2,
        handler: Handler::Server(ServerCmd::AclOp),
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    // What CLUSTER COUNTKEYSINSLOT/GETKEYSINSLOT run on the slot's group.
    // WAIT asks every other node for the groups it leads.
    CommandSpec {
        name: "corekv.replicas",
        arity: 1,
        route: Route::Server,
        handler: Handler::Server(ServerCmd::CorekvReplicas),
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "corekv.pub",
        arity: -4,
        route: Route::Server,
        handler: Handler::Server(ServerCmd::CorekvPub),
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "corekv.txalive",
        arity: 2,
        route: Route::Server,
        handler: Handler::Server(ServerCmd::CorekvTxAlive),
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "corekv.countkeysinslot",
        arity: 2,
        flags: &["readonly"],
        route: Route::Slot,
        handler: Handler::Read(keys::countkeysinslot),
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "corekv.getkeysinslot",
        arity: 3,
        flags: &["readonly"],
        route: Route::Slot,
        handler: Handler::Read(keys::getkeysinslot),
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    // Transactions across groups (docs/design/0025): argv[1] is a slot of
    // the group they are for; the shard applies them itself.
    CommandSpec {
        name: "corekv.txprep",
        arity: -6,
        flags: &["write"],
        route: Route::Slot,
        handler: Handler::Write {
            precheck: None,
            apply: txn::in_shard,
        },
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "corekv.txprepall",
        arity: 5,
        flags: &["write"],
        route: Route::Slot,
        handler: Handler::Write {
            precheck: None,
            apply: txn::in_shard,
        },
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "corekv.txcommit",
        arity: -4,
        flags: &["write"],
        route: Route::Slot,
        handler: Handler::Write {
            precheck: None,
            apply: txn::in_shard,
        },
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "corekv.txabort",
        arity: 4,
        flags: &["write"],
        route: Route::Slot,
        handler: Handler::Write {
            precheck: None,
            apply: txn::in_shard,
        },
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "corekv.txresolve",
        arity: 4,
        flags: &["write"],
        route: Route::Slot,
        handler: Handler::Write {
            precheck: None,
            apply: txn::in_shard,
        },
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "corekv.txforget",
        arity: -3,
        flags: &["write"],
        route: Route::Slot,
        handler: Handler::Write {
            precheck: None,
            apply: txn::in_shard,
        },
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "corekv.multi",
        arity: -3,
        flags: &["write"],
        route: Route::Slot,
        handler: Handler::Write {
            precheck: None,
            apply: txn::in_shard,
        },
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "corekv.txwatch",
        arity: -4,
        flags: &["write"],
        route: Route::Slot,
        handler: Handler::Write {
            precheck: None,
            apply: txn::in_shard,
        },
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "corekv.txsnap",
        arity: -4,
        flags: &["write"],
        route: Route::Slot,
        handler: Handler::Write {
            precheck: None,
            apply: txn::in_shard,
        },
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "corekv.txsnaphold",
        arity: -4,
        flags: &["write"],
        route: Route::Slot,
        handler: Handler::Write {
            precheck: None,
            apply: txn::in_shard,
        },
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "corekv.txcheck",
        arity: -4,
        flags: &["write"],
        route: Route::Slot,
        handler: Handler::Write {
            precheck: None,
            apply: txn::in_shard,
        },
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "corekv.txunwatch",
        arity: 3,
        flags: &["write"],
        route: Route::Slot,
        handler: Handler::Write {
            precheck: None,
            apply: txn::in_shard,
        },
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    // Active expiry's delete: proposed by the core that found the key due,
    // applied only if the key is still expired at apply time.
    // XREAD with BLOCK, sent through the log so the blocking layer can
    // hold it (io rewrites the name; core::cmd::blocking::XREAD_BLOCK).
    CommandSpec {
        name: "corekv.xreadblock",
        arity: -4,
        flags: &["write", "movablekeys"],
        first_key: 0,
        last_key: 0,
        step: 0,
        route: Route::Keyed { write: true },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Keyword {
                keyword: "STREAMS",
                start_from: 1,
            },
            find_keys: FindKeys::Range {
                last_key: -1,
                key_step: 1,
                limit: 2,
            },
        }],
        handler: Handler::Write {
            precheck: Some(stream::precheck_xread_block),
            apply: stream::xread_block,
        },
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    // The wake-up of a blocking command over several groups (one per
    // group; core::cmd::blocking::PROBE).
    CommandSpec {
        name: "corekv.bprobe",
        arity: -3,
        flags: &["write"],
        first_key: 1,
        last_key: -2,
        step: 1,
        route: Route::Keyed { write: true },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: -2,
                key_step: 1,
                limit: 0,
            },
        }],
        handler: Handler::Write {
            precheck: Some(blocking::precheck_bpop),
            apply: blocking::bprobe,
        },
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "corekv.expireif",
        arity: 2,
        flags: &["write"],
        first_key: 1,
        last_key: 1,
        step: 1,
        route: Route::Keyed { write: true },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RW", "delete"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        handler: Handler::Write {
            precheck: None,
            apply: keys::expireif,
        },
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
    // GET of a big paged string, rerun on the heavy pool by the core
    // (`cmd::TO_POOL`, docs/design/0019 "Bitmaps as built").
    CommandSpec {
        name: "corekv.getpaged",
        arity: 2,
        flags: &["readonly"],
        first_key: 1,
        last_key: 1,
        step: 1,
        route: Route::Keyed { write: false },
        key_specs: &[KeySpec {
            notes: None,
            flags: &["RO", "access"],
            begin_search: BeginSearch::Index(1),
            find_keys: FindKeys::Range {
                last_key: 0,
                key_step: 1,
                limit: 0,
            },
        }],
        handler: Handler::Read(strings::get_paged),
        heavy: true,
        visibility: Visibility::Internal,
        ..CommandSpec::BASE
    },
];
