namespace Pdp.Cli.Replay;

/// <summary>What was replayed against what, for the report's header.</summary>
/// <param name="TrailPath">The trail file as given.</param>
/// <param name="Records">Records in the trail (all verified).</param>
/// <param name="Files">Files of the trail read.</param>
/// <param name="LastHash">Hash of the trail's last record.</param>
/// <param name="PolicyDirectory">The candidate policy directory as given.</param>
internal sealed record ReplaySource(string TrailPath, long Records, int Files, string? LastHash, string PolicyDirectory);
