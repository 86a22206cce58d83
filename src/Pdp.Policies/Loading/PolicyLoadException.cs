namespace Pdp.Policies.Loading;

/// <summary>A policy set that cannot be served. Carries every problem found, not only the first.</summary>
public sealed class PolicyLoadException : Exception
{
    public PolicyLoadException(IReadOnlyList<PolicyProblem> problems)
        : base(Describe(problems))
    {
        Problems = problems;
    }

    public PolicyLoadException()
        : this([])
    {
    }

    public PolicyLoadException(string message)
        : base(message)
    {
        Problems = [];
    }

    public PolicyLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [];
    }

    public IReadOnlyList<PolicyProblem> Problems { get; }

    private static string Describe(IReadOnlyList<PolicyProblem> problems) =>
        problems.Count == 0
            ? "The policy set could not be loaded."
            : $"The policy set could not be loaded ({problems.Count} problem(s)):{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", problems);
}
