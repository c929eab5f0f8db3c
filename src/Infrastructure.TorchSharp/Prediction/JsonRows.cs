using System.Globalization;
using System.Text.Json;
using DurableTrainer.Application.Ports;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using DurableTrainer.Infrastructure.TorchSharp.Data.Formats;

namespace DurableTrainer.Infrastructure.TorchSharp.Prediction;

/// <summary>
/// Rows sent in a request, as examples: for a table's model, objects by column name (numbers, or text for
/// categorical columns), encoded as the training table was; for arrays and images, nested lists of the model's input
/// shape (pixel intensities in [0, 1] for images, as the image reader yields them), or one flat list of as many
/// numbers. Every problem names the row and the column or position.
/// </summary>
internal static class JsonRows
{
    public const int MaxRows = 1000;

    public static PredictionRows Read(JsonElement rows, LoadedDataset dataset)
    {
        if (rows.ValueKind != JsonValueKind.Array)
        {
            throw new PredictionInputException("rows", "must be a JSON array of rows");
        }

        int count = rows.GetArrayLength();
        if (count is 0 or > MaxRows)
        {
            throw new PredictionInputException("rows", $"must hold 1 to {MaxRows} rows; for more, start a batch prediction job (POST /api/predictions)");
        }

        return dataset.Encoding is { } encoding ? Table(rows, count, encoding, dataset) : new PredictionRows(Arrays(rows, count, [.. dataset.Shape.Input]), null, []);
    }

    private static PredictionRows Table(JsonElement rows, int count, IRowEncoding encoding, LoadedDataset dataset)
    {
        IReadOnlyList<string> needed = encoding.FeatureColumns;
        var names = new List<string>();
        var cells = new Dictionary<string, (double[] Numbers, string?[] Text)>(StringComparer.Ordinal);
        int row = 0;
        foreach (JsonElement item in rows.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw new PredictionInputException($"rows[{row}]", $"must be an object of column values; the model reads the columns {string.Join(", ", needed)}");
            }

            foreach (JsonProperty cell in item.EnumerateObject())
            {
                if (!cells.TryGetValue(cell.Name, out var column))
                {
                    column = (Enumerable.Repeat(double.NaN, count).ToArray(), new string?[count]);
                    cells[cell.Name] = column;
                    names.Add(cell.Name);
                }

                (column.Numbers[row], column.Text[row]) = Cell(cell.Value, $"rows[{row}].{cell.Name}");
            }

            foreach (string column in needed)
            {
                if (!item.TryGetProperty(column, out _))
                {
                    throw new PredictionInputException($"rows[{row}].{column}", $"is missing; the model reads the columns {string.Join(", ", needed)}");
                }
            }

            row++;
        }

        var table = new DataTable("the request", [.. names.Select(name => new TableColumn(name, cells[name].Numbers, cells[name].Text))], count, index => $"rows[{index}]");
        try
        {
            return encoding.EncodeForPrediction(table, dataset.Task, idColumn: null);
        }
        catch (DataFormatException exception)
        {
            throw new PredictionInputException("rows", exception.Message);
        }
    }

    private static (double Number, string? Text) Cell(JsonElement value, string field) => value.ValueKind switch
    {
        JsonValueKind.Number => (value.GetDouble(), value.GetRawText()),
        JsonValueKind.String => (double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double number) ? number : double.NaN, value.GetString()),
        JsonValueKind.True => (1, "true"),
        JsonValueKind.False => (0, "false"),
        _ => throw new PredictionInputException(field, "must be a number or a text (a null or a list is no value)"),
    };

    private static RawExamples Arrays(JsonElement rows, int count, int[] shape, string file = "the request")
    {
        int width = shape.Aggregate(1, (product, size) => product * size);
        var features = new float[count * width];
        int row = 0;
        foreach (JsonElement item in rows.EnumerateArray())
        {
            var values = new List<float>(width);
            string at = $"rows[{row}]";
            bool flat = item.ValueKind == JsonValueKind.Array && item.GetArrayLength() == width && (shape.Length == 1 || item[0].ValueKind == JsonValueKind.Number);
            if (flat)
            {
                Flatten(item, [width], 0, at, values, shape);
            }
            else
            {
                Flatten(item, shape, 0, at, values, shape);
            }

            values.CopyTo(features, row * width);
            row++;
        }

        return new RawExamples(file, features, shape, RawLabels.None, index => $"rows[{index}]");
    }

    private static void Flatten(JsonElement value, int[] shape, int depth, string at, List<float> values, int[] modelShape)
    {
        if (depth == shape.Length)
        {
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out double number) || !double.IsFinite(number) || !float.IsFinite((float)number))
            {
                throw new PredictionInputException(at, "must be a finite number");
            }

            values.Add((float)number);
            return;
        }

        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != shape[depth])
        {
            string described = value.ValueKind == JsonValueKind.Array ? $"a list of {value.GetArrayLength()}" : "not a list";
            throw new PredictionInputException(at, $"is {described} where the model takes {shape[depth]} at this level: a row is nested lists of shape [{string.Join(", ", modelShape)}], or one flat list of {modelShape.Aggregate(1, (product, size) => product * size)} numbers");
        }

        int index = 0;
        foreach (JsonElement item in value.EnumerateArray())
        {
            Flatten(item, shape, depth + 1, $"{at}[{index++}]", values, modelShape);
        }
    }
}
