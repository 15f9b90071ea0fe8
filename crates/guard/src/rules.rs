//! Every rule the guards know, with its stable id, category and weight, in one table.
//!
//! Weights are tuned against the corpus in `tests/corpus`: with the default thresholds
//! (commands review at 40 and block at 80, content review at 35 and block at 70), a rule of
//! weight ≥ 80 (commands) or ≥ 70 (content) blocks on its own, a mid-weight rule asks for review,
//! and weak rules (obfuscation tricks, mentions of secret paths, an environment dump) only matter
//! together with others. Ids are part of the audit log and the quarantine: never rename one.

use crate::assessment::Category;

/// A detection rule.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable kebab-case id.
    pub id: &'static str,
    /// What kind of risk it detects.
    pub category: Category,
    /// How much a match adds to the score.
    pub weight: u8,
    /// One sentence for humans.
    pub description: &'static str,
}

macro_rules! rules {
    ($($name:ident = $id:literal, $category:ident, $weight:literal, $description:literal;)*) => {
        $(
            #[doc = $description]
            pub const $name: Rule = Rule {
                id: $id,
                category: Category::$category,
                weight: $weight,
                description: $description,
            };
        )*
        /// Every rule, in table order.
        pub const ALL: &[&Rule] = &[$(&$name),*];
    };
}

rules! {
    // Destructive commands.
    RM_ROOT = "rm-root", Destructive, 95, "Recursive delete of the filesystem root.";
    RM_NO_PRESERVE_ROOT = "rm-no-preserve-root", Destructive, 95, "rm told to ignore its protection of the root directory.";
    RM_HOME = "rm-home", Destructive, 90, "Recursive delete of a home directory.";
    RM_SYSTEM_DIR = "rm-system-dir", Destructive, 90, "Recursive delete of a system directory (/etc, /usr, /var, …).";
    RM_SYSTEM_FILE = "rm-system-file", Destructive, 55, "Delete of a file inside a system directory.";
    RM_BROAD = "rm-recursive-broad", Destructive, 40, "Recursive delete of everything in the current or a parent directory.";
    RM_UNSET_VARIABLE = "rm-unset-variable-path", Destructive, 45, "Recursive delete of `$VAR/` or `$VAR/*`, which is `/` when the variable is empty.";
    FORMAT_FILESYSTEM = "format-filesystem", Destructive, 90, "Creates a filesystem (mkfs, mkswap), erasing the device.";
    RAW_DISK_WRITE = "raw-disk-write", Destructive, 95, "Writes straight to a disk device.";
    DISK_WIPE = "disk-wipe", Destructive, 90, "Wipes signatures or erases a whole disk (wipefs, blkdiscard, diskutil erase).";
    PARTITION_EDIT = "partition-table-edit", Destructive, 50, "Edits a partition table.";
    SHRED = "shred-files", Destructive, 50, "Overwrites files so they cannot be recovered.";
    FORK_BOMB = "fork-bomb", Destructive, 90, "A function that spawns itself until the machine stops responding.";
    RECURSIVE_PERMISSIONS_SYSTEM = "recursive-permission-change-system", Destructive, 85, "chmod/chown -R on the root, a home or a system directory.";
    WORLD_WRITABLE_SYSTEM = "world-writable-system-path", Destructive, 50, "Makes a system path writable by everyone.";
    FIND_DELETE_SYSTEM = "find-delete-system", Destructive, 85, "find from the root, a home or a system directory deleting what it finds.";
    MOVE_SYSTEM = "move-system-dir", Destructive, 85, "Moves the root, a home or a system directory away (or into /dev/null).";
    KILL_ALL = "kill-all-processes", Destructive, 70, "Kills every process the user may signal.";
    SHUTDOWN = "shutdown-reboot", Destructive, 50, "Shuts down or reboots the machine.";
    GIT_FORCE_PUSH = "git-force-push", Destructive, 30, "Force-pushes, rewriting a remote branch.";
    GIT_FORCE_PUSH_MAIN = "git-force-push-main", Destructive, 45, "Force-pushes to main or master.";
    CRONTAB_REMOVE = "crontab-remove", Destructive, 45, "Removes the user's whole crontab.";

    // Privilege escalation and persistence.
    PRIVILEGE_ESCALATION = "privilege-escalation", PrivilegeEscalation, 45, "Runs a command as another user (sudo, su, doas, pkexec).";
    SUDO_PASSWORD_STDIN = "sudo-password-on-stdin", PrivilegeEscalation, 30, "Feeds a password to sudo on standard input.";
    SETUID = "setuid-bit", PrivilegeEscalation, 80, "Sets the setuid or setgid bit on a file.";
    SUDOERS_WRITE = "sudoers-write", PrivilegeEscalation, 95, "Changes who may use sudo.";
    ACCOUNT_DATABASE_WRITE = "account-database-write", PrivilegeEscalation, 90, "Writes /etc/passwd, /etc/shadow or /etc/group.";
    AUTHORIZED_KEYS_WRITE = "authorized-keys-write", PrivilegeEscalation, 85, "Adds or replaces SSH authorized keys.";
    LD_PRELOAD_FILE = "ld-preload-file", PrivilegeEscalation, 95, "Writes /etc/ld.so.preload, injecting a library into every program.";
    LD_PRELOAD_ENV = "ld-preload-env", PrivilegeEscalation, 50, "Injects a library with LD_PRELOAD or a similar loader variable.";
    CRON_PERSISTENCE = "cron-persistence", PrivilegeEscalation, 55, "Installs a crontab or writes a cron directory.";
    SERVICE_PERSISTENCE = "service-persistence", PrivilegeEscalation, 45, "Installs or enables a system service or launch agent.";
    SYSTEM_PROFILE_WRITE = "system-profile-write", PrivilegeEscalation, 55, "Writes a login script every user runs.";
    SHELL_STARTUP_WRITE = "shell-startup-write", PrivilegeEscalation, 30, "Writes the user's shell start-up file.";
    SYSTEM_BINARY_WRITE = "system-binary-write", PrivilegeEscalation, 55, "Writes into a system program or library directory.";
    SYSTEM_CONFIG_WRITE = "system-config-write", PrivilegeEscalation, 40, "Writes system configuration under /etc or /proc/sys.";
    ACCOUNT_CHANGE = "account-change", PrivilegeEscalation, 60, "Creates an account or adds one to an administrators' group.";
    FILE_CAPABILITIES = "file-capabilities", PrivilegeEscalation, 70, "Grants a program kernel capabilities.";
    PRIVILEGED_CONTAINER = "privileged-container", PrivilegeEscalation, 60, "Starts a privileged container or mounts the host root into one.";

    // Running code fetched or decoded on the fly.
    DOWNLOAD_TO_SHELL = "download-piped-to-shell", PipeToShell, 85, "Pipes a download straight into a shell or interpreter.";
    DOWNLOAD_RUN_BY_SHELL = "download-run-by-shell", PipeToShell, 85, "Runs a download through process or command substitution (bash <(curl …), eval \"$(curl …)\").";
    DECODED_TO_SHELL = "decoded-payload-to-shell", PipeToShell, 85, "Pipes decoded data (base64, hex) into a shell.";
    DOWNLOAD_THEN_EXECUTE = "download-then-execute", PipeToShell, 55, "Downloads a file and runs it.";
    TEXT_TO_SHELL = "text-piped-to-shell", PipeToShell, 10, "Pipes literal text into a shell.";
    POWERSHELL_DOWNLOAD_EXEC = "powershell-download-exec", PipeToShell, 85, "PowerShell Invoke-Expression of a download.";

    // Reading secrets, sending data away.
    SECRET_PATH = "secret-path-access", Exfiltration, 30, "Touches a path that holds credentials (SSH keys, cloud credentials, .env).";
    SECRET_FILE_READ = "secret-file-read", Exfiltration, 45, "Prints or copies a credentials file.";
    SHADOW_READ = "shadow-file-read", Exfiltration, 60, "Reads the password hashes in /etc/shadow.";
    ENVIRONMENT_DUMP = "environment-dump", Exfiltration, 10, "Lists the environment variables (which often hold tokens).";
    FILE_UPLOAD = "file-upload", Exfiltration, 30, "Uploads a local file or standard input to a remote host.";
    RAW_NETWORK_SEND = "raw-network-send", Exfiltration, 35, "Opens a raw connection or sends mail to a remote host.";
    DEV_TCP = "dev-tcp-socket", Exfiltration, 70, "Opens a network socket through /dev/tcp or /dev/udp.";
    DNS_EXFILTRATION = "dns-lookup-with-substitution", Exfiltration, 60, "Builds a DNS name from command output (DNS exfiltration).";
    SECRET_TO_NETWORK = "secret-sent-to-network", Exfiltration, 90, "Reads a credentials file and sends data to the network in the same command.";
    ENVIRONMENT_TO_NETWORK = "environment-sent-to-network", Exfiltration, 85, "Dumps the environment and sends data to the network in the same command.";

    // Reverse shells.
    NETCAT_EXEC = "netcat-exec", ReverseShell, 95, "netcat/ncat running a program for the remote side (-e, -c, --exec).";
    SOCAT_EXEC = "socat-exec", ReverseShell, 90, "socat connecting a program to a socket (EXEC:, SYSTEM:).";
    SHELL_OVER_SOCKET = "interactive-shell-over-socket", ReverseShell, 95, "An interactive shell with its input and output on a network socket.";
    NETWORK_TO_SHELL = "network-piped-to-shell", ReverseShell, 90, "Pipes a network connection into a shell.";
    SCRIPTED_REVERSE_SHELL = "scripted-reverse-shell", ReverseShell, 90, "Inline interpreter code that connects a socket to a shell.";

    // Covering tracks, disabling defences.
    HISTORY_DISABLED = "history-disabled", Tampering, 35, "Turns off or clears the shell history.";
    HISTORY_WIPED = "history-file-wiped", Tampering, 50, "Deletes, truncates or redirects a shell history file.";
    LOG_TAMPERING = "system-log-tampering", Tampering, 60, "Deletes, truncates or vacuums system logs.";
    SECURITY_CONTROLS_DISABLED = "security-controls-disabled", Tampering, 60, "Disables auditing, SELinux, AppArmor or the firewall.";
    TIMESTAMP_FORGERY = "timestamp-forgery", Tampering, 20, "Sets a file's timestamps to a chosen value.";

    // Obfuscation: weak alone, they make whatever they hide score higher.
    IFS_SPLITTING = "ifs-word-splitting", Obfuscation, 25, "Uses $IFS instead of spaces.";
    QUOTE_SPLIT_NAME = "quote-split-command-name", Obfuscation, 20, "A command name broken up by quotes or backslashes (r''m, \\rm).";
    ANSI_C_ESCAPES = "ansi-c-escaped-text", Obfuscation, 15, "Spells words with $'\\x..' escapes.";
    GLOB_COMMAND_NAME = "glob-command-name", Obfuscation, 25, "A command named by a wildcard pattern (/???/r?).";
    COMPUTED_COMMAND_NAME = "computed-command-name", Obfuscation, 20, "A command name produced by command substitution.";
    BASE64_SCRIPT = "base64-decoded-script", Obfuscation, 20, "A base64 literal that decodes to shell text.";
    ESCAPED_SCRIPT = "escape-decoded-script", Obfuscation, 15, "printf/echo escapes that decode to shell text.";

    // Content: instruction overrides.
    IGNORE_PREVIOUS = "ignore-previous-instructions", InstructionOverride, 55, "Tells the reader to ignore or forget its previous instructions.";
    ROLE_REASSIGNMENT = "role-reassignment", InstructionOverride, 45, "Tells the assistant it is now someone or something else.";
    FROM_NOW_ON = "from-now-on-directive", InstructionOverride, 25, "\"From now on you will …\".";
    JAILBREAK_MODE = "jailbreak-mode", InstructionOverride, 40, "Claims a developer, DAN or god mode is enabled.";
    NEW_INSTRUCTIONS = "new-instructions-header", InstructionOverride, 40, "Introduces new or updated instructions.";
    FAKE_SYSTEM_MESSAGE = "fake-system-message", InstructionOverride, 30, "Claims to be a system, admin or developer message.";
    ADDRESSES_ASSISTANT = "addresses-the-assistant", InstructionOverride, 35, "Speaks to an AI reading the text (\"note to the AI\").";
    CONCEAL_FROM_USER = "conceal-from-user", InstructionOverride, 45, "Asks to keep something from the user.";
    CHAT_TEMPLATE_TOKEN = "chat-template-token", InstructionOverride, 50, "Contains model chat-template tokens (<|im_start|>, [INST], <<SYS>>).";
    FAKE_ROLE_HEADER = "fake-role-header", InstructionOverride, 40, "A heading that poses as a system or assistant turn (### System:).";
    ROLE_PREFIX_LINE = "role-prefix-line", InstructionOverride, 15, "A line starting with `System:` or `Assistant:`.";
    FAKE_TOOL_BOUNDARY = "fake-tool-boundary", InstructionOverride, 45, "Closes or opens a tool-output or system block (</tool_output>, <system>).";
    FAKE_UNTRUSTED_MARKER = "fake-untrusted-content-marker", InstructionOverride, 60, "Imitates the markers around untrusted content to escape them.";
    TOOL_INVOCATION_REQUEST = "tool-invocation-request", InstructionOverride, 25, "Asks the assistant to use one of its tools.";

    // Content: hidden text.
    ZERO_WIDTH = "zero-width-characters", HiddenText, 15, "Contains zero-width characters.";
    ZERO_WIDTH_ENCODING = "zero-width-encoding", HiddenText, 35, "Many zero-width characters, enough to encode a hidden message.";
    BIDI_CONTROLS = "bidi-control-characters", HiddenText, 25, "Contains bidirectional override or isolate characters.";
    TAG_CHARACTERS = "unicode-tag-characters", HiddenText, 60, "Invisible Unicode tag characters spelling out text.";
    HIDDEN_HTML_INSTRUCTIONS = "hidden-html-instructions", HiddenText, 45, "Instructions inside HTML hidden from human readers.";
    HTML_COMMENT_INSTRUCTIONS = "html-comment-instructions", HiddenText, 40, "Instructions inside an HTML comment.";

    // Content: exfiltration requests.
    SEND_DATA_TO_URL = "send-data-to-url", Exfiltration, 45, "Asks to send data, files or the conversation to a URL or address.";
    REVEAL_SECRETS = "reveal-secrets-request", Exfiltration, 50, "Asks to reveal API keys, secrets or the system prompt.";
    MARKDOWN_IMAGE_EXFILTRATION = "markdown-image-exfiltration", Exfiltration, 55, "An image URL whose query string is meant to carry data out.";
    COMMAND_WITH_SECRETS = "command-with-secrets", Exfiltration, 30, "A curl/wget command line that carries secrets or credential files.";
}

/// The rule with this id.
pub fn by_id(id: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|rule| rule.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_and_weights_at_most_100() {
        for (i, rule) in ALL.iter().enumerate() {
            assert!(rule.weight <= 100, "{}", rule.id);
            assert!(
                rule.id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                rule.id
            );
            assert!(
                ALL[i + 1..].iter().all(|other| other.id != rule.id),
                "duplicate id {}",
                rule.id
            );
            assert_eq!(by_id(rule.id), Some(*rule));
        }
        assert_eq!(by_id("nope"), None);
    }
}
