"""Where cell0's database goes by default."""

from api_cell.manage.database import cell0_url


def test_mysql_cell0_is_the_api_database_name_plus_suffix():
    assert cell0_url("mysql+pymysql://u:p@db/cellar_api?charset=utf8mb4") == \
        "mysql+pymysql://u:p@db/cellar_api_cell0?charset=utf8mb4"


def test_sqlite_cell0_sits_beside_the_api_file():
    assert cell0_url("sqlite:////var/lib/cellar/api.db") == \
        "sqlite:////var/lib/cellar/api_cell0.db"
