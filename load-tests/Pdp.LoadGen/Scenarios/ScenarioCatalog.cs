namespace Pdp.LoadGen.Scenarios;

/// <summary>The scenarios the command line can name. Register a new one (e.g. <c>envoy</c>, the ext_authz Check mix) here.</summary>
internal static class ScenarioCatalog
{
    private static readonly Dictionary<string, (string Description, Func<ScenarioEnvironment, ILoadScenario> Create)> Scenarios = new(StringComparer.Ordinal)
    {
        [HealthBaselineScenario.ScenarioName] = (HealthBaselineScenario.About, env => new HealthBaselineScenario(env)),
        [DecideMixScenario.ScenarioName] = (DecideMixScenario.About, env => new DecideMixScenario(env)),
        [ReviewMixScenario.ScenarioName] = (ReviewMixScenario.About, env => new ReviewMixScenario(env)),
        [DecidedScenario.ScenarioName] = (DecidedScenario.About, env => new DecidedScenario(env)),
        [HumanScenario.ScenarioName] = (HumanScenario.About, env => new HumanScenario(env)),
    };

    public static IEnumerable<string> Names => Scenarios.Keys;

    public static bool Exists(string name) => Scenarios.ContainsKey(name);

    public static ILoadScenario Create(string name, ScenarioEnvironment environment) =>
        Scenarios.TryGetValue(name, out var entry)
            ? entry.Create(environment)
            : throw new ArgumentException($"unknown scenario '{name}' (known: {string.Join(", ", Scenarios.Keys)})");

    public static string Describe() => string.Join(Environment.NewLine, Scenarios.Select(s => $"  {s.Key,-10} {s.Value.Description}"));
}
