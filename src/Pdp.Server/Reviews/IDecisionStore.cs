namespace Pdp.Server.Reviews;

/// <summary>
/// Where decisions and their review state live. In memory today, rebuilt from the audit trail at start;
/// a shared store (PostgreSQL) can take its place so any replica's reviewer tool reaches any decision.
/// </summary>
public interface IDecisionStore
{
    void Add(DecisionEntry entry);

    DecisionEntry? Find(string decisionId);

    /// <summary>Decisions whose review is still pending.</summary>
    IEnumerable<DecisionEntry> Pending();

    int Count { get; }
}
