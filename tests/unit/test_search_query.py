"""The /search URL <-> form translation: a search is a shareable link that survives reload."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from state.search_query import (
    ANY, count_active_filters, form_from_query, query_from_form, widen_links,
)


def test_query_round_trips_through_the_form():
    query = {
        "city": "moscow", "district": "tverskoy", "stop_id": "12", "stop_radius_m": "500",
        "amenities": "wifi,coffee", "min_price": "20000", "max_price": "50000",
        "price_unit": "day", "seats": "3", "q": "лофт", "sort": "price",
    }
    form = form_from_query(query)
    assert form.min_price == "200" and form.max_price == "500"  # roubles in the form
    assert form.amenities == ["wifi", "coffee"]
    assert query_from_form(form) == query


def test_form_defaults_give_an_empty_query_and_typed_roubles_become_kopecks():
    form = form_from_query({})
    assert form.city == ANY and query_from_form(form) == {}
    form.min_price = "1 500,5"
    assert query_from_form(form) == {"min_price": "150050", "price_unit": "hour"}
    form.min_price = "дёшево"  # junk goes through so that validation names the field
    assert query_from_form(form)["min_price"] == "дёшево"


def test_bad_page_number_falls_back_to_first_page():
    assert form_from_query({"page": "x"}).page == 1
    assert form_from_query({"page": "-3"}).page == 1


def test_widen_links_drop_one_filter_each_and_grow_the_radius():
    query = {"city": "moscow", "q": "zzz", "amenities": "wifi", "lat": "55.7", "lon": "37.6",
             "radius_km": "2", "page": "3"}
    links = {w.label: parse_qs(urlparse(w.href).query) for w in widen_links(query)}
    assert "q" not in links["Без текстового запроса"]
    assert links["Без текстового запроса"]["amenities"] == ["wifi"]
    assert "page" not in links["Без фильтра удобств"]
    assert links["Радиус 6 км"]["radius_km"] == ["6"]
    assert links["Сбросить все фильтры"] == {"city": ["moscow"]}


def test_active_filter_count_ignores_city_and_sort():
    assert count_active_filters({"city": "moscow", "sort": "price"}) == 0
    assert count_active_filters({"city": "moscow", "q": "x", "amenities": "wifi", "lat": "1"}) == 3


def test_free_time_filter_round_trips_in_the_city_zone():
    from state.search_query import SearchForm, form_from_query, query_from_form, widen_links

    form = SearchForm(city="novosibirsk", day="2027-03-10", time_from="10:00", time_to="13:30")
    query = query_from_form(form, "Asia/Novosibirsk")
    assert query["start"] == "2027-03-10T10:00:00+07:00"
    assert query["end"] == "2027-03-10T13:30:00+07:00"
    back = form_from_query(query)
    assert (back.day, back.time_from, back.time_to) == ("2027-03-10", "10:00", "13:30")
    # A whole day: to midnight of the next day, shown as 24:00.
    whole = query_from_form(SearchForm(day="2027-03-10"), "Europe/Moscow")
    assert (whole["start"], whole["end"]) == ("2027-03-10T00:00:00+03:00", "2027-03-11T00:00:00+03:00")
    assert form_from_query(whole).time_to == "24:00"
    # Junk is passed on as typed so that the search names the field.
    assert query_from_form(SearchForm(day="2027-13-40"), "Europe/Moscow")["start"].startswith("2027-13-40")
    # Widening drops start and end together.
    links = {w.label: w.href for w in widen_links(query)}
    assert links["В любое время"] == "/search?city=novosibirsk"


def test_the_map_area_and_the_named_point_round_trip_through_the_form():
    from state.search_query import point_label

    query = {"city": "moscow", "bbox": "37.5,55.7,37.7,55.8", "lat": "55.76", "lon": "37.61",
             "radius_km": "2", "near": "Тверская"}
    form = form_from_query(query)
    assert form.area == "37.5,55.7,37.7,55.8" and form.point["near"] == "Тверская"
    assert query_from_form(form) == query
    assert point_label(query) == "2 км от: Тверская"
    assert point_label({"lat": "55.76", "lon": "37.61", "near": "вы здесь"}) == "Рядом: вы здесь"
    assert point_label({"lat": "55.76", "lon": "37.61"}) == "Рядом с точкой на карте"
    assert point_label({"near": "Тверская"}) == ""  # a name without a point is no point
    # A name is shown on one line and cut to length, whatever the link says.
    assert point_label({"lat": "1", "lon": "2", "near": "a\nb\x00c" + "x" * 200}).startswith("Рядом: a b c")
    assert len(point_label({"lat": "1", "lon": "2", "near": "x" * 200})) <= len("Рядом: ") + 80


def test_the_area_counts_as_a_filter_and_can_be_dropped():
    query = {"city": "moscow", "bbox": "37.5,55.7,37.7,55.8"}
    assert count_active_filters(query) == 1
    links = {w.label: parse_qs(urlparse(w.href).query) for w in widen_links(query)}
    assert links["Не только в области карты"] == {"city": ["moscow"]}
