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

    [Fact]
    public void RuntimeConfig_ServerBuild_JsonWithoutReflectionAsInNativeAot()
    {
        // What a native AOT publish has: every serialiser on the server's paths needs a source-generated resolver,
        // and the tests that start the built server (NotificationTests' kill -9 one: a CloudEvent) show it.
        Assert.False(ConfigProperties()["System.Text.Json.JsonSerializer.IsReflectionEnabledByDefault"]?.GetValue<bool>());
    }

    [Fact]
    public async Task ProjectFile_NativeAotPublish_SmallGcSettingsAndSpeed()
    {
        // What `dotnet publish -p:PublishAot=true` would bake into the binary, read by evaluating the project file
        // (the publish itself takes minutes: load-tests/aot/smoke.sh runs it). The settings the memory figures in
        // docs/benchmarks.md were taken with; the JIT build above keeps server GC.
        var evaluated = await EvaluateAsync("-p:PublishAot=true", "-getProperty:ServerGarbageCollection", "-getProperty:OptimizationPreference", "-getItem:RuntimeHostConfigurationOption");
        Assert.Equal("false", evaluated["Properties"]!["ServerGarbageCollection"]!.GetValue<string>());
        Assert.Equal("Speed", evaluated["Properties"]!["OptimizationPreference"]!.GetValue<string>());
        var options = evaluated["Items"]!["RuntimeHostConfigurationOption"]!.AsArray()
            .ToDictionary(o => o!["Identity"]!.GetValue<string>(), o => o!["Value"]!.GetValue<string>(), StringComparer.Ordinal);
        Assert.Equal("7", options["System.GC.ConserveMemory"]);
        Assert.Equal("0", options["System.Threading.ThreadPool.UnfairSemaphoreSpinLimit"]);
    }

    [Fact]
    public async Task ProjectFile_JitBuild_NoAotOnlySettings()
    {
        var evaluated = await EvaluateAsync("-getProperty:ServerGarbageCollection", "-getItem:RuntimeHostConfigurationOption");
        Assert.Equal("true", evaluated["Properties"]!["ServerGarbageCollection"]!.GetValue<string>());
        Assert.DoesNotContain(evaluated["Items"]!["RuntimeHostConfigurationOption"]!.AsArray(), o => o!["Identity"]!.GetValue<string>() == "System.GC.ConserveMemory");
    }

    private static async Task<JsonObject> EvaluateAsync(params string[] args)
    {
        var result = await ProcessRun.RunAsync("dotnet", ["msbuild", Path.Combine(Repository.Root, "src", "Pdp.Server", "Pdp.Server.csproj"), "-nologo", .. args], TimeSpan.FromSeconds(120));
        Assert.True(result.ExitCode == 0, result.Output);
        return JsonNode.Parse(result.Stdout)!.AsObject();
    }
}
