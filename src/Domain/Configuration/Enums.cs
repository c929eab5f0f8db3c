namespace DurableTrainer.Domain.Configuration;

public enum OptimizerKind
{
    Adam,
    AdamW,
    Sgd,
}

public enum ModelArchitecture
{
    /// <summary>784 - hidden - 10 multilayer perceptron.</summary>
    Mlp,

    /// <summary>conv32 - pool - conv64 - pool - fc128 - fc10.</summary>
    Cnn,
}

public enum DatasetKind
{
    /// <summary>Fashion-MNIST from IDX files (60k train, 10k test, 28x28 grey, 10 classes).</summary>
    FashionMnist,

    /// <summary>A small generated 28x28, 10-class problem; deterministic from the seed. For fast tests.</summary>
    Synthetic,
}
