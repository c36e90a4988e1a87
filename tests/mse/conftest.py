import pytest

from tests.support import load


@pytest.fixture
def uk5():
    return load("SparseMSE__UKdat_5.csv")
