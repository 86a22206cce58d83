using Pdp.Audit.Format;

namespace Pdp.Audit.Opening;

/// <summary>
/// What start-up verified and can hand back for replay: the checkpoint's state file (if any), then the records from
/// <see cref="Start"/> (or from seq 1) in <see cref="Files"/> up to <see cref="LastSeq"/>.
/// </summary>
internal sealed record RecoveryPlan(IReadOnlyList<string> Files, ScanStart? Start, string? StatePath, string ActivePath, long LastSeq);
