namespace Pdp.Cli;

/// <summary>The exit codes scripts can rely on. Every verb uses only these three.</summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked and found nothing wrong (for <c>eval</c>: a decision was printed, whatever its verdict).</summary>
    public const int Ok = 0;

    /// <summary><c>check</c> found problems, or <c>test</c> had a failing case, a broken test file, or no case to run.</summary>
    public const int Failed = 1;

    /// <summary>Usage error, or the policy directory, input, data or coverage file could not be read or loaded.</summary>
    public const int Usage = 2;
}
