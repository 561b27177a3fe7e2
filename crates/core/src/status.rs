//! Nexkey's request status codes (`HubStatus`, as its iOS SDK names them): the progress
//! of an unlock or remote lock, and the error for a stage that timed out on one side.

/// What a request asks the lock to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Unlock,
    Lock,
}

impl Command {
    /// The progress statuses a successful request passes through, in order; the last
    /// is the success.
    pub fn progress(self) -> &'static [u16] {
        match self {
            Command::Unlock => &[10, 20, 30, 40, 50, 60, 70],
            Command::Lock => &[11, 21, 31, 41, 51, 61, 81],
        }
    }

    /// The first status of every request.
    pub fn initiated(self) -> u16 {
        self.progress()[0]
    }

    /// The status of a success: the last progress step.
    pub fn done(self) -> u16 {
        self.progress()[self.progress().len() - 1]
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Command::Unlock => "UNLOCK",
            Command::Lock => "LOCK",
        }
    }
}

/// Which side a stage timed out on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The device reported a failure at that stage.
    Hub,
    /// The server got no answer in time.
    Server,
}

/// Whether `status` ends a request successfully (`UNLOCKED`, `UNLOCKED_ALREADY`,
/// `REMOTELOCK_LOCKED`, `REMOTELOCK_LOCKED_ALREADY`).
pub fn is_success(status: u16) -> bool {
    matches!(status, 70 | 71 | 81 | 82)
}

/// Whether `status` is an error.
pub fn is_error(status: u16) -> bool {
    status >= 100
}

/// The error for the stage after `reached` (the last progress status), timed out on
/// `side`.
pub fn stage_error(command: Command, reached: u16, side: Side) -> u16 {
    let stage = match command {
        // After INITIATED comes receiving (2), and so on; UNLOCKED is stage 7.
        Command::Unlock => reached / 10 + 1,
        // A remote lock skips unlocking: after AUTHD_BY_LOCK (61) comes relocking (8).
        Command::Lock => match reached / 10 + 1 {
            7 => 8,
            s => s,
        },
    };
    let stage = stage.clamp(2, 9);
    match (command, stage, side) {
        (Command::Unlock, 2, Side::Server) => 200,
        (Command::Unlock, 2, Side::Hub) => 201,
        (Command::Unlock, s, Side::Hub) => s * 100,
        (Command::Unlock, s, Side::Server) => s * 100 + 1,
        (Command::Lock, 2, _) => 210,
        (Command::Lock, s, Side::Hub) => s * 100 + 10,
        (Command::Lock, s, Side::Server) => s * 100 + 11,
    }
}

const STAGES: [&str; 10] = [
    "",
    "INITIATING",
    "RECEIVING",
    "AUTHING_WITH_SERVER",
    "SEARCHING",
    "CONNECTING",
    "AUTHING_WITH_LOCK",
    "UNLOCKING",
    "RELOCKING",
    "RETURNING_TO_IDLE",
];

/// The status's name, exactly as Nexkey's SDK spells it.
pub fn name(status: u16) -> String {
    let fixed = match status {
        0 => "IDLE",
        10 => "INITIATED",
        20 => "RECEIVED",
        30 => "AUTHD_BY_SERVER",
        40 => "LOCK_FOUND",
        50 => "CONNECTED",
        60 => "AUTHD_BY_LOCK",
        70 => "UNLOCKED",
        71 => "UNLOCKED_ALREADY",
        80 => "RELOCKED",
        90 => "RETURNED_TO_IDLE",
        11 => "REMOTELOCK_INITIATED",
        21 => "REMOTELOCK_RECEIVED",
        31 => "REMOTELOCK_AUTHD_BY_SERVER",
        41 => "REMOTELOCK_LOCK_FOUND",
        51 => "REMOTELOCK_CONNECTED",
        61 => "REMOTELOCK_AUTHD_BY_LOCK",
        81 => "REMOTELOCK_LOCKED",
        82 => "REMOTELOCK_LOCKED_ALREADY",
        91 => "REMOTELOCK_RETURNED_TO_IDLE",
        100 => "ERROR_INITIATING_CLT",
        101 => "ERROR_INITIATING_SRV",
        111 => "ERROR_REMOTELOCK_INITIATING_SRV",
        200 => "ERROR_RECEIVING_TIMEOUT_SRV",
        201 => "ERROR_RECEIVING_TIMEOUT_CLT",
        210 => "ERROR_REMOTELOCK_RECEIVING_TIMEOUT_SRV",
        _ => "",
    };
    if !fixed.is_empty() {
        return fixed.to_owned();
    }
    let stage = usize::from(status / 100);
    let (lock, side) = match status % 100 {
        0 => ("", "HUB"),
        1 => ("", "SRV"),
        2 => ("", "CLT"),
        10 => ("REMOTELOCK_", "HUB"),
        11 => ("REMOTELOCK_", "SRV"),
        _ => return format!("UNKNOWN_{status}"),
    };
    match STAGES.get(stage) {
        Some(s) if stage >= 3 => format!("ERROR_{lock}{s}_TIMEOUT_{side}"),
        _ => format!("UNKNOWN_{status}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_sdk() {
        assert_eq!(name(70), "UNLOCKED");
        assert_eq!(name(200), "ERROR_RECEIVING_TIMEOUT_SRV");
        assert_eq!(name(700), "ERROR_UNLOCKING_TIMEOUT_HUB");
        assert_eq!(name(501), "ERROR_CONNECTING_TIMEOUT_SRV");
        assert_eq!(name(302), "ERROR_AUTHING_WITH_SERVER_TIMEOUT_CLT");
        assert_eq!(name(811), "ERROR_REMOTELOCK_RELOCKING_TIMEOUT_SRV");
        assert_eq!(name(410), "ERROR_REMOTELOCK_SEARCHING_TIMEOUT_HUB");
        assert_eq!(name(81), "REMOTELOCK_LOCKED");
        assert_eq!(name(55), "UNKNOWN_55");
    }

    #[test]
    fn a_timeout_names_the_stage_after_the_last_status_reached() {
        assert_eq!(
            stage_error(Command::Unlock, 10, Side::Server),
            200,
            "never received: offline"
        );
        assert_eq!(stage_error(Command::Unlock, 40, Side::Server), 501);
        assert_eq!(stage_error(Command::Unlock, 60, Side::Hub), 700);
        assert_eq!(stage_error(Command::Lock, 11, Side::Server), 210);
        assert_eq!(stage_error(Command::Lock, 61, Side::Server), 811);
        assert_eq!(stage_error(Command::Lock, 31, Side::Hub), 410);
        for code in [200, 501, 700, 210, 811, 410] {
            assert!(
                is_error(code) && !name(code).starts_with("UNKNOWN"),
                "{code}"
            );
        }
    }

    #[test]
    fn successes_end_each_command() {
        assert!(is_success(Command::Unlock.done()) && is_success(Command::Lock.done()));
        assert!(is_success(71) && is_success(82));
        assert!(!is_success(60) && !is_success(200));
    }
}
