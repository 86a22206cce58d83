namespace Pdp.Policies.Loading;

/// <summary>One thing wrong with a policy set, located as precisely as the cause allows (line and column are 1-based; 0 when unknown).</summary>
public sealed record PolicyProblem(string File, int Line, int Column, string Message)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}:{Column}: {Message}" : $"{File}: {Message}";
}
