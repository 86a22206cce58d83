using Pdp.Server.Tests.Documentation;
using Xunit;

namespace Pdp.Server.Tests.Documentation;

/// <summary>
/// <c>docs/configuration.md</c> carries every setting the server binds, as the options classes define it. Run with
/// <c>PDP_WRITE_DOCS=1</c> to rewrite the generated part after changing an option; the rest of the page is prose.
/// </summary>
public sealed class ConfigurationDocTests
{
    private static readonly string DocPath = Path.Combine(Repository.Root, "docs", "configuration.md");

    [Fact]
    public void ConfigurationDoc_GeneratedSettings_MatchTheOptionsClasses()
    {
        var expected = ConfigurationReference.Render();
        var page = File.ReadAllText(DocPath).ReplaceLineEndings("\n");
        var start = page.IndexOf(ConfigurationReference.Begin, StringComparison.Ordinal);
        var end = page.IndexOf(ConfigurationReference.End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"{DocPath} lacks the generated settings markers");
        var current = page[start..(end + ConfigurationReference.End.Length + 1)];

        if (current != expected && Environment.GetEnvironmentVariable("PDP_WRITE_DOCS") == "1")
        {
            File.WriteAllText(DocPath, page[..start] + expected + page[(end + ConfigurationReference.End.Length + 1)..]);
            current = expected;
        }

        Assert.True(current == expected, "docs/configuration.md is out of date with the options classes; run the tests with PDP_WRITE_DOCS=1 and commit the page");
    }

    [Fact]
    public void ConfigurationDoc_EveryKeyTheOptionsBind_IsOnThePage()
    {
        var page = File.ReadAllText(DocPath);
        var keys = ConfigurationReference.Keys();

        Assert.True(keys.Count > 50, $"only {keys.Count} settings found");
        Assert.All(keys, key => Assert.Contains($"`{key}`", page, StringComparison.Ordinal));
    }

    [Fact]
    public void ConfigurationDoc_EverySetting_SaysWhatItMeans()
    {
        var unexplained = ConfigurationReference.Render().Split('\n').Where(line => line.StartsWith("| `Pdp", StringComparison.Ordinal) && line.EndsWith("|  |", StringComparison.Ordinal)).ToList();

        Assert.True(unexplained.Count == 0, "settings without an XML summary:\n" + string.Join("\n", unexplained));
    }

    [Theory]
    [InlineData("Pdp:GrpcPort")]
    [InlineData("Pdp:AuthZen:Port")]
    [InlineData("Pdp:Review:Postgres:ConnectionString")]
    [InlineData("Pdp:Envoy:Routes:N:Path")]
    [InlineData("Pdp:Sandbox:MaxStatements")]
    public void Keys_OptionsClasses_IncludeNestedAndListSettings(string key)
    {
        Assert.Contains(key, ConfigurationReference.Keys());
    }
}
