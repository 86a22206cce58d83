using Pdp.Evaluation.Results;

namespace Pdp.Cli.Replay;

/// <summary>Counts of decisions by recorded verdict (row) and candidate verdict (column).</summary>
internal sealed class TransitionMatrix
{
    /// <summary>Rows and columns in the order reports show them: least to most strict.</summary>
    public static readonly IReadOnlyList<Verdict> Verdicts = [Verdict.Allow, Verdict.RequireHuman, Verdict.Deny];

    private readonly int[,] _counts = new int[Verdicts.Count, Verdicts.Count];

    public int this[Verdict recorded, Verdict candidate] => _counts[Index(recorded), Index(candidate)];

    public int Total { get; private set; }

    public int Changed { get; private set; }

    public int Unchanged => Total - Changed;

    public void Add(Verdict recorded, Verdict candidate)
    {
        _counts[Index(recorded), Index(candidate)]++;
        Total++;
        if (recorded != candidate)
        {
            Changed++;
        }
    }

    /// <summary>The non-zero changes, as (recorded, candidate, count), in row then column order.</summary>
    public IEnumerable<(Verdict Recorded, Verdict Candidate, int Count)> Changes() =>
        from recorded in Verdicts
        from candidate in Verdicts
        where recorded != candidate && this[recorded, candidate] > 0
        select (recorded, candidate, this[recorded, candidate]);

    private static int Index(Verdict verdict) => verdict switch
    {
        Verdict.Allow => 0,
        Verdict.RequireHuman => 1,
        _ => 2,
    };
}
