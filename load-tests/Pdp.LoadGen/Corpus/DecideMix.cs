using System.Globalization;
using Pdp.Contracts.V1;

namespace Pdp.LoadGen.Corpus;

/// <summary>
/// The realistic mix of Decide inputs. Each unit draws, from its own seeded generator:
/// <list type="bullet">
/// <item><see cref="HotShare"/> from a small pool of <see cref="HotPoolSize"/> fixed requests, sent again and again
/// byte for byte (an agent retrying, or many agents proposing the same containment step);</item>
/// <item><see cref="TestCaseShare"/> from the shipped <c>*.test.json</c> inputs the server accepts;</item>
/// <item>the rest synthesized over every type of <c>data/action_catalog.json</c> (and a few types no policy covers),
/// with targets from a space of tens of thousands, registered and unregistered agents, production and staging,
/// with and without incidents: mostly distinct inputs.</item>
/// </list>
/// <see cref="RequestIdShare"/> of the requests carry a unique <c>request_id</c>, exercising the idempotency window.
/// </summary>
internal sealed class DecideMix
{
    public const int HotPoolSize = 32;
    public const double HotShare = 0.25;
    public const double TestCaseShare = 0.30;
    public const double RequestIdShare = 0.15;

    private static readonly string[] UncoveredTypes = ["db.table.drop", "iam.account.rename", "host.reboot", "email.send"];
    private static readonly string[] Roles = ["reader", "support-agent", "billing-viewer", "ci-deployer"];
    private static readonly string[] Principals = ["alice@example.com", "bob@example.com", "carol@example.com", "oncall@example.com", "svc-automation@example.com", string.Empty];
    private static readonly string[] Severities = ["sev0", "sev1", "sev2", "sev3", "sev4"];
    private static readonly string[] Resolutions = ["resolved", "duplicate", "false_positive", "wontfix"];
    private static readonly string[] DeviceClasses = ["workstation", "laptop", "server", "vdi", string.Empty];

    private readonly PolicyData _data;
    private readonly DecideRequest[] _hot;
    private readonly DecideRequest[] _tests;
    private readonly (string Family, string Type)[] _types;

    public DecideMix(PolicyData data, int seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        _data = data;
        _types = [.. data.Families.SelectMany(f => f.Value.Select(t => (f.Key, t)))];
        if (_types.Length == 0)
        {
            throw new InvalidOperationException("the policy directory's data/action_catalog.json lists no action types");
        }

        _tests = [.. data.TestInputs.Select(RequestFactory.FromInput).OfType<DecideRequest>()];
        var rng = new Random(seed);
        _hot = [.. Enumerable.Range(0, HotPoolSize).Select(_ => Synthesize(rng))];
    }

    public int TestCaseCount => _tests.Length;

    /// <summary>The shipped test-case requests the server accepts (shared: never change them).</summary>
    public IReadOnlyList<DecideRequest> TestCases => _tests;

    /// <summary>The repeated requests (shared: never change them).</summary>
    public IReadOnlyList<DecideRequest> HotPool => _hot;

    public DecideRequest Next(Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var draw = rng.NextDouble();
        var request = draw < HotShare ? _hot[rng.Next(_hot.Length)]
            : draw < HotShare + TestCaseShare && _tests.Length > 0 ? _tests[rng.Next(_tests.Length)]
            : Synthesize(rng);
        if (rng.NextDouble() < RequestIdShare)
        {
            // Shared messages are never changed: a request with an id is a copy.
            request = request.Clone();
            request.RequestId = Guid.NewGuid().ToString("N");
        }

        return request;
    }

    /// <summary>One synthesized request over a random catalog type (or, rarely, a type no policy covers).</summary>
    public DecideRequest Synthesize(Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (rng.NextDouble() < 0.03)
        {
            var uncovered = UncoveredTypes[rng.Next(UncoveredTypes.Length)];
            return RequestFactory.Build(Agent(rng, "iam"), Pick(rng, Principals), uncovered, "account", User(rng), Confidence(rng), Risk(rng), Context(rng));
        }

        var (family, type) = _types[rng.Next(_types.Length)];
        var agent = Agent(rng, family);
        var behalf = Pick(rng, Principals);
        var confidence = Confidence(rng);
        var risk = Risk(rng);
        var context = Context(rng);
        switch (family)
        {
            case "iam":
            {
                var target = rng.NextDouble() < 0.05 ? Pick(rng, _data.Critical("accounts"), User(rng)) : User(rng);
                (string, string)[] parameters = type == "iam.role.grant"
                    ? [("role", rng.NextDouble() < 0.1 ? Pick(rng, _data.Critical("roles"), "global-admin") : Pick(rng, Roles))]
                    : [];
                return RequestFactory.Build(agent, behalf, type, "account", target, confidence, risk, context, parameters, rationale: "suspicious sign-in pattern");
            }

            case "secrets":
            {
                var grant = _data.SecretGrants.Count > 0 && rng.NextDouble() < 0.4 ? _data.SecretGrants[rng.Next(_data.SecretGrants.Count)] : default;
                var secret = grant.Secret ?? (rng.NextDouble() < 0.05 ? Pick(rng, _data.Critical("secrets"), "prod/kms/master-key") : Inv($"staging/app-{rng.Next(5000)}/api-token"));
                return RequestFactory.Build(grant.Agent ?? agent, behalf, type, "secret", secret, confidence, risk, context, rationale: "credential exposure suspected");
            }

            case "containment":
            {
                if (type.StartsWith("network.", StringComparison.Ordinal))
                {
                    var ip = rng.NextDouble() < 0.1 ? Inv($"10.{rng.Next(256)}.{rng.Next(256)}.0/24") : Inv($"203.0.{rng.Next(114, 120)}.{rng.Next(256)}");
                    return RequestFactory.Build(agent, behalf, type, "ip", ip, confidence, risk, context, rationale: "command and control traffic");
                }

                var host = rng.NextDouble() < 0.05 ? Pick(rng, _data.Critical("hosts"), "dc01.corp.example.com") : Inv($"ws-{rng.Next(20000)}.corp.example.com");
                return RequestFactory.Build(agent, behalf, type, "host", host, confidence, risk, context, attributes: [("device_class", Pick(rng, DeviceClasses))], rationale: "malware beacon");
            }

            case "escalation":
            {
                var incident = Inv($"INC-{rng.Next(100000)}");
                var recipient = rng.NextDouble() switch
                {
                    < 0.5 => Pick(rng, _data.Rotations, "soc-oncall"),
                    < 0.7 => Pick(rng, _data.Executives, "ceo@example.com"),
                    _ => User(rng),
                };
                return type switch
                {
                    "incident.page" => RequestFactory.Build(agent, behalf, type, "principal", recipient, confidence, risk, context),
                    "incident.close" => RequestFactory.Build(agent, behalf, type, "incident", incident, confidence, risk, context, parameters: [("resolution", Pick(rng, Resolutions))]),
                    _ => RequestFactory.Build(agent, behalf, type, "incident", incident, confidence, risk, context, parameters: [("to_severity", Pick(rng, Severities))]),
                };
            }

            default:
                return RequestFactory.Build(agent, behalf, type, "resource", User(rng), confidence, risk, context);
        }
    }

    /// <summary>A registered agent of the family most of the time, sometimes one that is not (denied by the family's policy).</summary>
    private string Agent(Random rng, string family)
    {
        var registered = _data.Agents(family);
        return registered.Count > 0 && rng.NextDouble() < 0.9 ? registered[rng.Next(registered.Count)] : Inv($"rogue-bot-{rng.Next(20)}");
    }

    private static (string, string)[] Context(Random rng)
    {
        // A plaintext load test is an unauthenticated caller, which the catch-all denies in production: keep that share modest.
        var environment = rng.NextDouble() < 0.3 ? "production" : "staging";
        var context = new List<(string, string)> { ("environment", environment) };
        if (rng.NextDouble() < 0.75)
        {
            context.Add(("incident_id", Inv($"INC-{rng.Next(100000)}")));
            context.Add(("severity", Pick(rng, Severities)));
        }

        return [.. context];
    }

    private static string User(Random rng) => Inv($"user-{rng.Next(50000)}@example.com");

    private static double Confidence(Random rng) => Math.Round(0.5 + (rng.NextDouble() * 0.5), 2);

    private static double Risk(Random rng) => rng.Next(101);

    private static string Pick(Random rng, IReadOnlyList<string> values, string fallback = "") => values.Count == 0 ? fallback : values[rng.Next(values.Count)];

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
