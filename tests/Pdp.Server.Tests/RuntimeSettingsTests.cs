using System.Text.Json.Nodes;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>
/// The runtime settings the server ships with, read from the runtimeconfig.json the build writes beside Pdp.Server.dll
/// (the file every test that starts the server as a process runs with), so a project-file edit cannot drop them.
/// </summary>
public sealed class RuntimeSettingsTests
{
    private static JsonObject ConfigProperties()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Pdp.Server.runtimeconfig.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        return config["runtimeOptions"]!["configProperties"]!.AsObject();
    }

    [Fact]
    public void RuntimeConfig_ServerBuild_PoolWorkersSleepWithoutSpinning()
    {
        // Measured on the decision path: spinning workers cost CPU per decision on a sidecar's two cores.
        Assert.Equal(0, ConfigProperties()["System.Threading.ThreadPool.UnfairSemaphoreSpinLimit"]?.GetValue<int>());
    }

    [Fact]
    public void RuntimeConfig_ServerBuild_KeepsServerGcWithDynamicAdaptation()
    {
        // Server GC with DATAS (the .NET default for server GC) had the lowest CPU per decision of the settings measured.
        var properties = ConfigProperties();
        Assert.True(properties["System.GC.Server"]?.GetValue<bool>());
        Assert.Null(properties["System.GC.DynamicAdaptationMode"]);
    }
}
