namespace Pdp.Cli;

/// <summary>The exit codes scripts can rely on. Every verb uses only these three.</summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked and found nothing wrong (for <c>eval</c>: a decision was printed, whatever its verdict; for <c>replay</c>: the report was printed, whatever changed).</summary>
    public const int Ok = 0;

    /// <summary><c>check</c> found problems, <c>test</c> had a failing case, a broken test file, or no case to run, or <c>audit verify</c> found a bad record.</summary>
    public const int Failed = 1;

    /// <summary>Usage error, or the policy directory, input, data, coverage file or audit trail could not be read or loaded (for <c>replay</c>, also a trail that does not verify).</summary>
    public const int Usage = 2;
}
