"""The fuzz harness, fast profile: hostile bytes, names and stories through readers,
decoding, the ingest stages and the store (issue 20). ``bench/fuzz.py`` runs the same
checks with 10,000+ cases."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzzing import StageHarness, any_bytes, check_decode, check_input_file, documents, file_name, SUFFIXES

FAST = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])


@FAST
@given(any_bytes)
def test_decoding_any_bytes_gives_text_or_a_rejection(data):
    check_decode(data)


@FAST
@given(file_name, st.sampled_from(SUFFIXES), any_bytes)
def test_any_file_under_any_name_is_a_story_or_a_named_rejection(name, suffix, data):
    check_input_file(name, suffix, data)


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    made = StageHarness(tmp_path_factory.mktemp("fuzz"))
    yield made
    made.close()


@settings(FAST, max_examples=25)
@given(documents)
def test_the_ingest_and_sentence_stages_never_crash_on_hostile_stories(harness, docs):
    harness.check_stages(docs)


@settings(FAST, max_examples=10)
@given(documents)
def test_a_batch_of_hostile_stories_is_stored_or_rejected_whole(harness, docs):
    harness.check_store(docs)
