"""Property: whatever the groups, documents and users, search never returns a passage the
user's groups may not read, and returns every one they may (small collections).

Runs against Qdrant Edge and qdrant-client local mode. Vectors are computed once
for a fixed pool of texts, so each example costs only upserts and queries.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrieval import (
    Chunk,
    DocumentMeta,
    Embedder,
    IndexedChunk,
    SearchConfig,
    Searcher,
    SparseEncoder,
    StoreConfig,
    VectorStore,
    chunk_point_id,
    open_store,
)
from retrieval.evaluation import CachingEmbedder

pytestmark = pytest.mark.filterwarnings("ignore:Failed to obtain server version")

TEXTS = [
    "Every employee is entitled to twenty-seven days of paid annual leave.",
    "The yearly bonus pool is decided by the finance committee in March.",
    "Lost security badges must be reported to the facilities desk within a day.",
    "Todo colaborador tem direito a 30 dias de férias remuneradas.",
    "O reembolso de despesas deve ser pedido em até 30 dias.",
    "Passwords must have at least twelve characters and change every 90 days.",
]
QUERIES = ["annual leave days", "bonus", "férias", "reembolso de despesas", "password", "the"]
GROUPS = st.frozensets(st.integers(min_value=1, max_value=6), min_size=0, max_size=3)


@dataclass
class World:
    """One store plus what every document ever upserted into it may be read by."""

    store: VectorStore
    searcher: Searcher
    vectors: dict[str, list[float]]
    sparse: SparseEncoder
    groups: dict[int, frozenset[int]] = field(default_factory=dict)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))


@pytest.fixture(scope="module", params=["edge", "local"])
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    embedder: Embedder,
    sparse_encoder: SparseEncoder,
) -> Iterator[World]:
    cached = CachingEmbedder(embedder, cache_queries=True)
    for query in QUERIES:
        cached.embed_query(query)
    vectors = dict(zip(TEXTS, cached.embed_documents(TEXTS), strict=True))
    path: Path = tmp_path_factory.mktemp("acl") / request.param
    store = open_store(StoreConfig(kind=request.param, path=path), dimension=embedder.dimension)
    searcher = Searcher(store=store, embedder=cached, sparse=sparse_encoder)
    yield World(store, searcher, vectors, sparse_encoder)
    store.close()


def _upsert(world: World, collection: int, text_index: int, groups: frozenset[int]) -> int:
    document_id = next(world.ids)
    text = TEXTS[text_index]
    meta = DocumentMeta(document_id, collection, tuple(sorted(groups)), "Doc", "0" * 64)
    chunk = Chunk(index=0, text=text, page=None, heading="")
    point = IndexedChunk(
        point_id=chunk_point_id(document_id, 0, text),
        chunk=chunk,
        meta=meta,
        dense=world.vectors[text],
        sparse=world.sparse.encode_document(text),
    )
    world.store.upsert([point])
    world.groups[document_id] = groups
    return document_id


def _visible(world: World, documents: list[int], user: frozenset[int]) -> set[int]:
    return {d for d in documents if world.groups[d] & user}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
)
@given(
    documents=st.lists(st.tuples(st.integers(0, len(TEXTS) - 1), GROUPS), max_size=6),
    user=GROUPS,
    query=st.sampled_from(QUERIES),
    regroup=st.one_of(st.none(), st.tuples(st.integers(0, 5), GROUPS)),
)
def test_search_returns_exactly_what_the_user_may_read(
    world: World,
    documents: list[tuple[int, frozenset[int]]],
    user: frozenset[int],
    query: str,
    regroup: tuple[int, frozenset[int]] | None,
) -> None:
    collection = next(world.ids) + 1000
    ids = [_upsert(world, collection, text, groups) for text, groups in documents]
    if regroup is not None and ids:
        target = ids[regroup[0] % len(ids)]
        world.store.set_document_groups(target, sorted(regroup[1]))
        world.groups[target] = regroup[1]

    in_collection = world.searcher.run(
        query, allowed_group_ids=sorted(user), collection_ids=[collection], limit=50, shape=False
    ).passages
    anywhere = world.searcher.search(query, allowed_group_ids=sorted(user), limit=20)
    bm25_only = world.searcher.run(
        query,
        allowed_group_ids=sorted(user),
        limit=50,
        config=SearchConfig(mode="sparse"),
        shape=False,
    ).passages

    for passage in [*in_collection, *anywhere, *bm25_only]:
        assert world.groups[passage.document_id] & user, "a passage the user may not read"
    assert {p.document_id for p in in_collection} == _visible(world, ids, user)
    if not user:
        assert in_collection == anywhere == bm25_only == []
