using System.Reflection;

namespace FastIova.Tests.Concurrency.Infrastructure;

/// <summary>Finds scenarios by name: every static <see cref="Scenario"/> field or property in this assembly.</summary>
public static class ScenarioCatalog
{
    private static readonly Lazy<IReadOnlyDictionary<string, Scenario>> s_all = new(Collect);

    /// <summary>All scenarios by name.</summary>
    public static IReadOnlyDictionary<string, Scenario> All => s_all.Value;

    /// <summary>The scenario named <paramref name="name"/>.</summary>
    /// <param name="name">The scenario name.</param>
    public static Scenario Get(string name) =>
        All.TryGetValue(name, out Scenario? scenario)
            ? scenario
            : throw new KeyNotFoundException($"No scenario named '{name}'. Known: {string.Join(", ", All.Keys.Order())}.");

    private static Dictionary<string, Scenario> Collect()
    {
        var scenarios = new Dictionary<string, Scenario>(StringComparer.Ordinal);
        const BindingFlags flags = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (Type type in typeof(ScenarioCatalog).Assembly.GetTypes())
        {
            IEnumerable<object?> values = type.GetFields(flags).Where(f => f.FieldType == typeof(Scenario)).Select(f => f.GetValue(null))
                .Concat(type.GetProperties(flags).Where(p => p.PropertyType == typeof(Scenario)).Select(p => p.GetValue(null)));
            foreach (Scenario scenario in values.OfType<Scenario>())
            {
                scenarios.TryAdd(scenario.Name, scenario);
            }
        }

        return scenarios;
    }
}
