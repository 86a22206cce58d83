using System.Globalization;
using Pdp.Contracts.V1;

namespace Pdp.LoadGen.Corpus;

/// <summary>
/// Inputs of the review-heavy mix: actions the shipped policies send to a human (re-enabling accounts, MFA
/// resets, critical accounts and privileged roles with two approvers, releasing containment, critical secret
/// rotations, false-positive closures, executive pages), with a share of allowed containment steps that a
/// reviewer may later reverse. Agents act on behalf of principals who are sometimes approvers themselves, so
/// separation of duties has to be respected when reviewers are picked (<see cref="Reviewers"/>).
/// </summary>
internal sealed class ReviewMix(PolicyData data)
{
    private static readonly string[] Principals = ["alice@example.com", "carol@example.com", "erin@example.com", "heidi@example.com", "niaj@example.com", "rupert@example.com", "bob@example.com"];

    /// <summary>Cases 0..<see cref="HumanCases"/>-1 of <see cref="Next"/> are the require-human ones; the rest are allowed containment.</summary>
    public const int HumanCases = 8;

    public DecideRequest Next(Random rng) => Build(rng, 10);

    /// <summary>Only actions the shipped policies send to a human (the <c>human</c> scenario).</summary>
    public DecideRequest NextHuman(Random rng) => Build(rng, HumanCases);

    // The case is drawn after the other fields, as it always was, so the review scenario's inputs did not change.
    private DecideRequest Build(Random rng, int cases)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var behalf = Principals[rng.Next(Principals.Length)];
        var user = Inv($"user-{rng.Next(50000)}@example.com");
        var incident = Inv($"INC-{rng.Next(100000)}");
        // Staging: over plaintext TCP the caller is unauthenticated, and the catch-all denies unauthenticated production calls.
        (string, string)[] prod = [("environment", "staging"), ("incident_id", incident), ("severity", "sev3")];
        var iamAgent = Agent("iam", "triage-bot");
        return rng.Next(cases) switch
        {
            0 => RequestFactory.Build(iamAgent, behalf, "iam.account.enable", "account", user, 0.95, 40, prod),
            1 => RequestFactory.Build(iamAgent, behalf, "iam.mfa.reset", "account", user, 0.97, 60, prod),
            2 => RequestFactory.Build(iamAgent, behalf, "iam.account.disable", "account", Critical("accounts", "admin@example.com", rng), 0.99, 90, prod),
            3 => RequestFactory.Build(iamAgent, behalf, "iam.role.grant", "account", user, 0.95, 30, prod, parameters: [("role", Critical("roles", "global-admin", rng))]),
            4 => RequestFactory.Build(Agent("containment", "edr-responder"), behalf, rng.Next(2) == 0 ? "host.release" : "network.unblock_ip", "host", Inv($"ws-{rng.Next(20000)}.corp.example.com"), 0.9, 20, prod),
            5 => RequestFactory.Build(Agent("secrets", "secrets-rotator"), behalf, "secrets.rotate", "secret", Critical("secrets", "prod/kms/master-key", rng), 0.9, 50, prod),
            6 => RequestFactory.Build(Agent("escalation", "oncall-assistant"), behalf, "incident.close", "incident", incident, 0.95, 10, prod, parameters: [("resolution", "false_positive")]),
            7 => RequestFactory.Build(Agent("escalation", "oncall-assistant"), behalf, "incident.page", "principal", data.Executives.Count > 0 ? data.Executives[rng.Next(data.Executives.Count)] : "ceo@example.com", 0.9, 70, prod),
            // Allowed containment: some are reversed after the fact.
            _ => RequestFactory.Build(iamAgent, behalf, "iam.account.disable", "account", user, 0.95, 85, prod, rationale: "impossible travel"),
        };
    }

    /// <summary>
    /// <paramref name="count"/> distinct members of the approver group who are neither the agent nor the principal
    /// it acts for, or fewer when the group has fewer eligible members.
    /// </summary>
    public IReadOnlyList<string> Reviewers(string group, DecideRequest request, int count, Random rng)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(rng);
        if (!data.Groups.TryGetValue(group, out var members))
        {
            return [];
        }

        var eligible = members
            .Where(m => !string.Equals(m, request.Agent.Id, StringComparison.OrdinalIgnoreCase) && !string.Equals(m, request.Agent.OnBehalfOf, StringComparison.OrdinalIgnoreCase))
            .ToList();
        var picked = new List<string>(count);
        while (picked.Count < count && eligible.Count > 0)
        {
            var i = rng.Next(eligible.Count);
            picked.Add(eligible[i]);
            eligible.RemoveAt(i);
        }

        return picked;
    }

    private string Agent(string family, string fallback) => data.Agents(family).Contains(fallback) ? fallback : (data.Agents(family) is { Count: > 0 } agents ? agents[0] : fallback);

    private string Critical(string kind, string fallback, Random rng)
    {
        var list = data.Critical(kind);
        return list.Count == 0 ? fallback : list[rng.Next(list.Count)];
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
