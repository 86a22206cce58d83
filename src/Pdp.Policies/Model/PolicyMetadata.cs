namespace Pdp.Policies.Model;

/// <summary>What a policy declares about itself in its exported <c>policy</c> object.</summary>
/// <param name="Id">Unique id across the set.</param>
/// <param name="Owner">The named human control owner accountable for the policy's decisions.</param>
/// <param name="ApproverGroup">The group (a key of <c>data.groups</c>) that reviews its require-human verdicts.</param>
/// <param name="AppliesTo">Action-type patterns the policy is consulted for.</param>
/// <param name="Frameworks">Control-framework references, e.g. <c>NIST-AI-RMF:GOVERN-1.2</c>.</param>
/// <param name="Description">One sentence for humans.</param>
/// <param name="Redact">Dotted paths into the decision record masked before it reaches the trail.</param>
/// <param name="Cacheable">True when the policy declares its answer depends only on input and data, not on time.</param>
/// <param name="EscalationGroup">The group a review of its verdicts escalates to when still pending at the escalation point; empty: none.</param>
public sealed record PolicyMetadata(
    string Id,
    string Owner,
    string ApproverGroup,
    IReadOnlyList<ActionPattern> AppliesTo,
    IReadOnlyList<string> Frameworks,
    string Description,
    IReadOnlyList<string> Redact,
    bool Cacheable,
    string EscalationGroup = "");
